/* getdents64: every name once, sorted here (hosts list in any order) */
#include "files.h"
struct dirent64 { unsigned long long d_ino; long long d_off; unsigned short d_reclen; unsigned char d_type; char d_name[]; };
static char names[64][32];
static int types[64];
int main(int argc, char **argv)
{
    (void)argc;
    char p[256], buf[96];
    f_umask(022);
    const char *files[] = { "zeta", "alpha", "mid", "beta.txt", "k" };
    for (int k = 0; k < 5; k++) f_close(f_open(f_path(p, argv[1], files[k]), O_CREAT | O_WRONLY, 0644));
    f_mkdir(f_path(p, argv[1], "subdir"), 0755);
    int fd = f_open(argv[1], O_RDONLY | O_DIRECTORY, 0);
    int count = 0;
    long n;
    /* A small buffer: several calls, each resuming where the last stopped. */
    while ((n = f_getdents(fd, buf, sizeof buf)) > 0) {
        for (long at = 0; at < n;) {
            struct dirent64 *d = (struct dirent64 *)(buf + at);
            memcpy(names[count], d->d_name, strlen(d->d_name) + 1);
            types[count++] = d->d_type;
            at += d->d_reclen;
        }
    }
    f_show("end", n);
    for (int i = 0; i < count; i++)
        for (int j = i + 1; j < count; j++)
            if (strcmp(names[j], names[i]) < 0) {
                char t[32]; memcpy(t, names[i], 32); memcpy(names[i], names[j], 32); memcpy(names[j], t, 32);
                int ty = types[i]; types[i] = types[j]; types[j] = ty;
            }
    for (int i = 0; i < count; i++) printf("%s %d\n", names[i], types[i]);
    f_show("tiny buffer", f_getdents(f_open(argv[1], O_RDONLY | O_DIRECTORY, 0), buf, 8));
    f_show("not a dir", f_getdents(f_open(f_path(p, argv[1], "k"), O_RDONLY, 0), buf, sizeof buf));
    return 0;
}
