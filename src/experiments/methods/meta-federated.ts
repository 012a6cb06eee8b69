/**
 * Registers the meta-learning ('mamt') and federated multi-task ('ftml') method kinds. The runner's
 * builtins import this module; experiment files may also list it under `imports`.
 */
import './mamt.js';
import './ftml.js';
