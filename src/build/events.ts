/**
 * What a build tells the outside world, as typed events (build/ never prints:
 * the CLI renders these with build/progress.ts, tests collect them). RUN
 * output is not an event while a step streams it straight to fd 1; it becomes
 * one only when the step's output had to be captured (quiet mode, or a stage
 * running in the background while another stage owns the terminal).
 */
export type BuildEvent =
  /** `Step N/M : INSTRUCTION` (N counts over every built stage). */
  | { type: "step"; stage: number; n: number; total: number; text: string }
  /** ` ---> Using cache`. */
  | { type: "cache-hit"; stage: number }
  /** ` ---> Running in <id12>`: a container was created for the step. */
  | { type: "container"; stage: number; id: string }
  /** `Removing intermediate container <id12>`. */
  | { type: "container-removed"; stage: number; id: string }
  /** ` ---> <id12>`: the image the step (or FROM) ended with. */
  | { type: "image"; stage: number; id: string; ms?: number }
  /** Captured output of a RUN, replayed in order. */
  | { type: "output"; stage: number; fd: 1 | 2; text: string }
  /** A line Docker prints on stdout (`# Executing 1 build trigger`, `Note: overriding previous HEALTHCHECK…`). */
  | { type: "note"; stage: number; text: string }
  /** `[Warning] …` on stdout, like Docker's unused build-arg warning. */
  | { type: "warning"; text: string }
  /** Why a step hit or missed the cache, for --debug. */
  | { type: "debug"; stage: number; text: string }
  /** `Successfully built <id12>` / `Successfully tagged <name>`. */
  | { type: "built"; id: string }
  | { type: "tagged"; name: string };

export type EventSink = (e: BuildEvent) => void;

/** An event that belongs to a stage (so the printer can keep stages apart). */
type StageEvent = Extract<BuildEvent, { stage: number }>;

export function isStageEvent(e: BuildEvent): e is StageEvent {
  return "stage" in e;
}
