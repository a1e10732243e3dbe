/* Client side of the NIC driver protocol (<rewind/nic.h>, guest/abi/nic.proto;
 * the nic_call_* stubs are generated from it). */
#include <rewind/nic.h>

const char *nic_strerror(long err)
{
	const char *s = nic_proto_error_name(err);

	return s ? s : rw_strerror(err);
}
