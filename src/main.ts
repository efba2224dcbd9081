// Entry point: the hidden in-container init mode, or the CLI. Nothing else
// belongs here, so that each mode loads only what it needs.
const argv = process.argv.slice(2);

const { main } = await import("./cli/main.ts");
await main(argv);
