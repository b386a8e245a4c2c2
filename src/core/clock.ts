/**
 * The clock now lives on the ground floor (src/base/clock.ts). This re-export serves only the simulator, which still
 * imports it here until it gets a clock of its own; nothing else may import it (the layer test says so).
 */
export * from '../base/clock.ts';
