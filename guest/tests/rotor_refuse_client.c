/* rotor_refuse_client (uses "rotor"): rotor_client.c built with ROTOR_REFUSE (see there). */
#define ROTOR_REFUSE 1
#include "rotor_client.c"
