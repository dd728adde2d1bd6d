/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * v2vd-runner JOBDIR GO_FD PROGRAM [ARG…]
 *
 * The tiny process between v2vd and virt-v2v. v2vd forks it and moves it
 * into the job's scope; the runner waits on GO_FD until the daemon writes
 * "g" (the scope exists, its limits are in place), then runs PROGRAM with
 * stdout and stderr appended to JOBDIR/v2v.log, records its pid in
 * JOBDIR/v2v.pid and, when it ends, its record ("exited N", "killed SIG",
 * or "lost ERRNO": runner-exit.h) in JOBDIR/exit-status. Both files are
 * replaced atomically.
 *
 * Nothing here talks to the daemon after the start: the daemon may be
 * restarted or killed while virt-v2v copies, and finds the outcome in the
 * job directory. For that the runner starts a new session and ignores
 * SIGTERM/SIGINT/SIGHUP — stopping the scope must end virt-v2v, which then
 * exits and is recorded; the scope's SIGKILL after the grace period ends
 * the runner too (the daemon then knows from its own cancel record).
 * EOF or anything but "g" on GO_FD: the job was called off, run nothing.
 *
 * With V2VD_RUNNER_SSH_KEY=FILE and V2VD_RUNNER_SSH_AUTH_SOCK=SOCK in its
 * environment the runner first starts an ssh-agent listening on SOCK and
 * loads FILE into it (virt-v2v's ssh input takes keys only from an agent),
 * then runs PROGRAM with SSH_AUTH_SOCK=SOCK, and stops the agent at the end.
 * The agent lives inside the job's scope, so it can never outlive the job.
 * When it runs as the job's owner (below), SOCK's directory is a tmpfs of
 * the owner's, 64 KiB and 16 inodes, mounted in a mount namespace of the
 * runner's own (host mounts still propagate in): the owner can make the
 * socket, and grow nothing in the daemon's runtime directory.
 *
 * With V2VD_RUNNER_UID=UID (v2vd --system, a job of a user other than
 * root) everything the runner starts — virt-v2v and its children, ssh-agent,
 * ssh-add — runs as that user: its uid, primary gid and supplementary
 * groups from the passwd and group databases, with PR_SET_NO_NEW_PRIVS
 * (cred.c). The runner itself stays root: it only writes v2v.log, v2v.pid
 * and exit-status in the job directory, whose names the user cannot
 * change. A UID without a passwd entry runs nothing.
 *
 * The runner's own exit status repeats virt-v2v's (N, or 128+SIG when it
 * was killed), so that the daemon, when it is the runner's parent, still
 * learns the outcome where exit-status could not be written (a full disk).
 * V2V_RUNNER_NOT_STARTED and V2V_RUNNER_SETUP_FAILED say virt-v2v never ran.
 *
 * No GLib, no allocation beyond the stack: it must start fast and not fail.
 */
#include <errno.h>
#include <sched.h>
#include <sys/mount.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/runner-exit.h"
#include "host/cred.h"
#include "host/file-write.h"

static int write_text_atomic(int dirfd, const char *name, const char *text) {
        return write_file_atomic_at(dirfd, name, text, strlen(text), 0644);
}

/* dup2() onto itself keeps O_CLOEXEC set; the descriptors here are all
 * opened with it, so that none leaks into virt-v2v beyond 0, 1 and 2. */
static int fd_onto(int fd, int target) {
        if (fd == target)
                return fcntl(fd, F_SETFD, 0);
        return dup2(fd, target) < 0 ? -1 : 0;
}

static void reset_signals(void) {
        struct sigaction sa = { .sa_handler = SIG_DFL };
        sigset_t all;

        for (int sig = 1; sig < NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        (void) sigaction(sig, &sa, NULL);
        sigemptyset(&all);
        (void) sigprocmask(SIG_SETMASK, &all, NULL);
}

/* In a child: become the job's owner, or end. */
static void child_drop(const Cred *owner, int log_fd) {
        int r;

        if (!owner)
                return;
        r = cred_drop(owner);
        if (r < 0) {
                dprintf(log_fd, "virt-v2v: error: v2vd-runner cannot drop to uid %u: %s\n",
                        (unsigned) owner->uid, strerror(-r));
                _exit(127);
        }
}

/* In a child, before exec: default signals, the owner's rights, stdin
 * /dev/null, stdout to v2v.log (or /dev/null), stderr to v2v.log.
 * Returns -1 when a descriptor could not be set up. */
static int child_setup(const Cred *owner, int log_fd, bool stdout_to_log) {
        int null_fd = open("/dev/null", O_RDWR | O_NOCTTY | O_CLOEXEC);

        reset_signals();
        child_drop(owner, log_fd);
        if (null_fd < 0 || fd_onto(null_fd, 0) < 0 || fd_onto(stdout_to_log ? log_fd : null_fd, 1) < 0 ||
            fd_onto(log_fd, 2) < 0)
                return -1;
        return 0;
}

/* SOCK's directory becomes a tmpfs of the owner's in a mount namespace of
 * the runner's own (header comment). */
static int agent_dir_mount(const char *sock, const Cred *owner) {
        char dir[4096], opts[128];
        char *slash;

        if (strlen(sock) >= sizeof dir)
                return -ENAMETOOLONG;
        strcpy(dir, sock);
        slash = strrchr(dir, '/');
        if (!slash || slash == dir)
                return -EINVAL;
        *slash = 0;
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
                return -errno;
        snprintf(opts, sizeof opts, "size=64k,nr_inodes=16,mode=0700,uid=%u,gid=%u", (unsigned) owner->uid,
                 (unsigned) owner->gid);
        if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts) < 0)
                return -errno;
        return 0;
}

static pid_t start_ssh_agent(const char *sock, const char *key, int log_fd, const Cred *owner) {
        pid_t agent, add;
        int status;

        agent = fork();
        if (agent < 0)
                return -1;
        if (agent == 0) {
                /* Its "SSH_AUTH_SOCK=…; export" banner is noise in v2v.log. */
                (void) child_setup(owner, log_fd, false);
                execlp("ssh-agent", "ssh-agent", "-D", "-a", sock, (char *) NULL);
                _exit(127);
        }
        /* Wait for its socket, then load the key. */
        for (int i = 0; i < 200 && access(sock, F_OK) < 0; i++)
                usleep(10 * 1000);
        add = fork();
        if (add < 0)
                return -1;
        if (add == 0) {
                (void) child_setup(owner, log_fd, true);
                setenv("SSH_AUTH_SOCK", sock, 1);
                execlp("ssh-add", "ssh-add", "-q", key, (char *) NULL);
                _exit(127);
        }
        while (waitpid(add, &status, 0) < 0)
                if (errno != EINTR)
                        break;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                dprintf(log_fd, "virt-v2v: warning: v2vd-runner could not load the job's ssh_key into ssh-agent\n");
        return agent;
}

/* Hold until v2vd says the scope is there ("g"); EOF means never. */
static bool wait_for_go(int go_fd) {
        char go = 0;
        ssize_t n;

        do
                n = read(go_fd, &go, 1);
        while (n < 0 && errno == EINTR);
        close(go_fd);
        return n == 1 && go == 'g';
}

/* V2VD_RUNNER_UID: whom virt-v2v runs as (*ret NULL: as the runner). 0,
 * or -1 with the reason in v2v.log and exit-status. */
static int read_owner(int dirfd, int log_fd, Cred *cred, const Cred **ret) {
        const char *owner_uid = getenv("V2VD_RUNNER_UID");

        *ret = NULL;
        if (owner_uid && *owner_uid) {
                char *end = NULL;
                unsigned long uid = strtoul(owner_uid, &end, 10);
                int r = *end || uid >= (unsigned long) (uid_t) -1 ? -EINVAL : cred_lookup((uid_t) uid, cred);

                if (r < 0) {
                        dprintf(log_fd, "virt-v2v: error: v2vd-runner: the job's owner, uid %s, has no usable "
                                "passwd entry (%s); nothing runs on its behalf\n", owner_uid, strerror(-r));
                        (void) write_text_atomic(dirfd, "exit-status", "exited 1\n");
                        return -1;
                }
                *ret = cred;
                setenv("HOME", cred->home, 1);
                setenv("USER", cred->name, 1);
                setenv("LOGNAME", cred->name, 1);
                /* The daemon's runtime directory is not the owner's: with it
                 * libguestfs would make its sockets where it cannot. */
                unsetenv("XDG_RUNTIME_DIR");
        }
        unsetenv("V2VD_RUNNER_UID");
        return 0;
}

/* V2VD_RUNNER_SSH_KEY and _AUTH_SOCK: an agent holding the key, whose
 * socket virt-v2v gets; as the owner, in a tmpfs of its own
 * (agent_dir_mount). *ret_agent: its pid, or 0. 0, or -1 with the reason
 * in v2v.log and exit-status. */
static int setup_ssh_agent(int dirfd, int log_fd, const Cred *owner, pid_t *ret_agent) {
        const char *ssh_key = getenv("V2VD_RUNNER_SSH_KEY");
        const char *ssh_sock = getenv("V2VD_RUNNER_SSH_AUTH_SOCK");
        pid_t agent = 0;

        if (ssh_key && ssh_sock && *ssh_key && *ssh_sock) {
                int r = owner ? agent_dir_mount(ssh_sock, owner) : 0;
                if (r < 0) {
                        dprintf(log_fd, "virt-v2v: error: v2vd-runner cannot make the ssh-agent's directory for "
                                "uid %u: %s\n", (unsigned) owner->uid, strerror(-r));
                        (void) write_text_atomic(dirfd, "exit-status", "exited 1\n");
                        return -1;
                }
                agent = start_ssh_agent(ssh_sock, ssh_key, log_fd, owner);
                setenv("SSH_AUTH_SOCK", ssh_sock, 1);
        }
        unsetenv("V2VD_RUNNER_SSH_KEY");
        unsetenv("V2VD_RUNNER_SSH_AUTH_SOCK");
        *ret_agent = agent;
        return 0;
}

/* How virt-v2v ended, in exit-status; the runner's own exit status says
 * the same (runner-exit.h). */
static int record_exit(int dirfd, V2vExit e) {
        char text[64];

        v2v_exit_format(&e, text, sizeof text);
        (void) write_text_atomic(dirfd, "exit-status", text);
        return v2v_exit_to_runner_status(&e);
}

static _Noreturn void exec_virt_v2v(char **argv, const Cred *owner, int log_fd) {
        if (child_setup(owner, log_fd, true) < 0)
                _exit(127);
        execvp(argv[0], argv);
        dprintf(2, "virt-v2v: error: cannot execute %s: %s\n", argv[0], strerror(errno));
        _exit(127);
}

int main(int argc, char *argv[]) {
        const char *job_dir;
        int dirfd, log_fd, status;
        char text[64];
        pid_t pid, agent;
        static Cred owner_cred;
        const Cred *owner = NULL;

        if (argc < 4) {
                fprintf(stderr, "usage: v2vd-runner JOBDIR GO_FD PROGRAM [ARG…]\n"
                                "Started by v2vd; not meant to be run by hand.\n");
                return V2V_RUNNER_SETUP_FAILED;
        }
        job_dir = argv[1];

        (void) setsid();
        signal(SIGTERM, SIG_IGN);
        signal(SIGINT, SIG_IGN);
        signal(SIGHUP, SIG_IGN);
        signal(SIGPIPE, SIG_IGN);

        if (!wait_for_go(atoi(argv[2])))
                return V2V_RUNNER_NOT_STARTED;
        dirfd = open(job_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0) {
                fprintf(stderr, "v2vd-runner: %s: %s\n", job_dir, strerror(errno));
                return V2V_RUNNER_SETUP_FAILED;
        }
        log_fd = openat(dirfd, "v2v.log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0640);
        if (log_fd < 0) {
                fprintf(stderr, "v2vd-runner: %s/v2v.log: %s\n", job_dir, strerror(errno));
                return V2V_RUNNER_SETUP_FAILED;
        }
        if (read_owner(dirfd, log_fd, &owner_cred, &owner) < 0)
                return 1;
        if (setup_ssh_agent(dirfd, log_fd, owner, &agent) < 0)
                return 1;

        pid = fork();
        if (pid < 0) {
                dprintf(log_fd, "virt-v2v: error: v2vd-runner could not fork: %s\n", strerror(errno));
                return record_exit(dirfd, (V2vExit) { V2V_EXIT_EXITED, 127 });
        }
        if (pid == 0)
                exec_virt_v2v(argv + 3, owner, log_fd);

        snprintf(text, sizeof text, "%ld\n", (long) pid);
        (void) write_text_atomic(dirfd, "v2v.pid", text);
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return record_exit(dirfd, (V2vExit) { V2V_EXIT_LOST, errno });
        if (agent > 0) {
                kill(agent, SIGTERM);
                (void) waitpid(agent, NULL, 0);
        }
        return record_exit(dirfd, WIFEXITED(status) ? (V2vExit) { V2V_EXIT_EXITED, WEXITSTATUS(status) }
                                                    : (V2vExit) { V2V_EXIT_KILLED, WTERMSIG(status) });
}
