/* nspidfs: parse the settings, then hand over to the daemon. */
#include <locale.h>
#include <stdio.h>

#include "daemon.h"
#include "log.h"
#include "options.h"

int main(int argc, char **argv)
{
	struct nspidfs_options o;
	g_autoptr(GError) err = NULL;
	int status;

	/*
	 * GLib's messages are UTF-8 and g_printerr() converts them to the locale's charset: in
	 * the C locale every quote would print as "?". The files served must not depend on the
	 * locale, so numbers stay C's.
	 */
	setlocale(LC_ALL, "");
	setlocale(LC_NUMERIC, "C");
	if (!options_parse(argc, argv, &o, &err)) {
		g_printerr("nspidfs: %s\nTry 'nspidfs --help' for more information.\n",
			   err->message);
		options_clear(&o);
		return NSPIDFS_EXIT_USAGE;
	}
	if (o.show_version) {
		printf("nspidfs %s\n", NSPIDFS_VERSION);
		options_clear(&o);
		return 0;
	}
	log_setup(o.debug);
	status = daemon_run(&o, argv);
	options_clear(&o);
	return status;
}
