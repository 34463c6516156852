// Preloaded into the `pixgrad` processes bench/compare.ts times: reports the process's peak
// resident set size on stderr at exit, so the parent can print it beside the wall clock.
process.on('exit', () => {
  process.stderr.write(`\nPIXGRAD_MAXRSS_KB=${process.resourceUsage().maxRSS}\n`);
});
