/**
 * Registers the transfer method kinds of src/transfer: 'a2t' (both readings), 'distill' and
 * 'finetune'. Imported by builtins.ts; each kind loads its training code only when a job runs.
 */
import './a2t.js';
import './distill.js';
import './finetune.js';
