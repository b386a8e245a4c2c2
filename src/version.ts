/** The package version, kept equal to package.json's by a test (JSON imports differ between runtimes). */
export const VERSION = '0.1.0';
