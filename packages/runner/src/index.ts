/**
 * @grpojs/runner as a library: the command line's program and the pieces it is built from, which
 * live in the umbrella package and are re-exported here unchanged.
 */
export * from 'grpojs/cli';
