/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/runner-exit.h"

static const char *const kind_word[] = {
        [V2V_EXIT_EXITED] = "exited",
        [V2V_EXIT_KILLED] = "killed",
        [V2V_EXIT_LOST] = "lost",
};

int v2v_exit_format(const V2vExit *e, char *buf, size_t size) {
        return snprintf(buf, size, "%s %d\n", kind_word[e->kind], e->value);
}

int v2v_exit_parse(const char *text, V2vExit *ret) {
        for (size_t k = 0; k < sizeof kind_word / sizeof kind_word[0]; k++) {
                size_t n = strlen(kind_word[k]);
                int value, end = 0;

                if (strncmp(text, kind_word[k], n) != 0 || text[n] != ' ')
                        continue;
                if (sscanf(text + n + 1, "%d%n", &value, &end) != 1 || value < 0 ||
                    (text[n + 1 + end] != '\0' && text[n + 1 + end] != '\n'))
                        return -EINVAL;
                ret->kind = (V2vExitKind) k;
                ret->value = value;
                return 0;
        }
        return -EINVAL;
}

int v2v_exit_to_runner_status(const V2vExit *e) {
        switch (e->kind) {
        case V2V_EXIT_EXITED:
                return e->value;
        case V2V_EXIT_KILLED:
                return 128 + e->value;
        default:
                return V2V_RUNNER_SETUP_FAILED;
        }
}

bool v2v_exit_from_runner_status(int status, V2vExit *ret) {
        if (status < 0 || status == V2V_RUNNER_NOT_STARTED || status == V2V_RUNNER_SETUP_FAILED)
                return false;
        if (status > 128 && status < 128 + 65)
                *ret = (V2vExit) { V2V_EXIT_KILLED, status - 128 };
        else
                *ret = (V2vExit) { V2V_EXIT_EXITED, status };
        return true;
}

int v2v_exit_return_code(const V2vExit *e) {
        return e->kind == V2V_EXIT_LOST ? -1 : v2v_exit_to_runner_status(e);
}
