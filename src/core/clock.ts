/**
 * The clock lives on the ground floor (src/base/clock.ts). This re-export serves only the simulator's tests
 * (test/sim), which still import the ManualClock from here; nothing in the code may import it (the layer test says
 * so). Remove it once they import src/base/clock.ts.
 */
export * from '../base/clock.ts';
