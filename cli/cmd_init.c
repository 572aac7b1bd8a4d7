/* cmd_init.c — `patron init`: creates the data directory, master key, config and store. */
#include "cli.h"
#include "patron/error.h"

#include <getopt.h>
#include <string.h>

int cmd_init(int argc, char **argv)
{
    static const struct option opts[] = {{"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'h') {
            printf("usage: patron init [--data DIR]\n\n"
                   "Creates DIR with the store (patron.db, schema migrations applied), a new master\n"
                   "key (master.key, mode 0600: keep it safe and back it up apart from the data; without\n"
                   "it personal fields cannot be read) and config.json (time zone, phone country code,\n"
                   "survivorship rules). Running it again on an initialised directory changes nothing.\n");
            return EXIT_OK;
        }
        return EXIT_USAGE;
    }
    char err[1024] = "";
    int rc = pt_db_init(cli_data_dir, NULL, err, sizeof err);
    if (rc) {
        cli_error("cannot initialise %s: %s", cli_data_dir, err[0] ? err : pt_strerror(rc));
        return cli_exit_for(rc);
    }
    printf("initialised %s\n", cli_data_dir);
    return EXIT_OK;
}
