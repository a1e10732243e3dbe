/*
 * rotor_refuse_server (serves "rotor"): rotor_server (rotor_server.c, built again with
 * ROTOR_REFUSE), which also refuses (RW_EINVAL, one of the refusals) every request whose value
 * is a multiple of 5. A refusal right after the pointer rotated is the program's own answer: no
 * kernel heuristic on the loop's registers may take it for corruption.
 */
#define ROTOR_REFUSE 1
#include "rotor_server.c"
