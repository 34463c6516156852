/**
 * Imported first by run.ts: the benchmark's stdout carries only its table or JSON, so anything a
 * library prints with console.log (tfjs's "running TensorFlow.js in Node.js" banner, for one) is
 * sent to stderr instead. `print` writes to the real stdout.
 */
const write = process.stdout.write.bind(process.stdout);
console.log = (...args: unknown[]) => console.error(...args);
console.info = console.log;
export const print = (text: string): void => void write(`${text}\n`);
