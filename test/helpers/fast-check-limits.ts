/**
 * Vitest setup file (vitest.config.ts `setupFiles`): a time limit for every fast-check assertion.
 *
 * vitest's testTimeout cannot stop a synchronous property: it never yields to the event loop. A
 * property that fails on a case whose neighbours also fail can then shrink for as long as CI runs
 * (seen once: deltaE's gradcheck shrinking two nearly identical colours for over 10 minutes). With
 * this limit, fast-check starts no new run or shrink step after 90 s and reports the assertion as
 * failed, with the smallest counterexample found so far and the seed to replay it.
 */
import fc from 'fast-check';

fc.configureGlobal({ ...fc.readConfigureGlobal(), interruptAfterTimeLimit: 90_000, markInterruptAsFailure: true });
