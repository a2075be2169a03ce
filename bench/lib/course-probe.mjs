/**
 * profile-startup.mjs's probe targets behind a course-style module: importing this module loads
 * both backend packages, as a unit of a course program does before its target runs.
 */
import '@conc/threading'
import '@conc/multiprocessing'

export { probeFile, probeShared } from '../targets/probe.mjs'
