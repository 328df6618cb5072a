/* getdents64 through opendir/readdir, and raw: names sorted, types, "." and "..". */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include "check.h"

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Prints the entries of `path` sorted, with their d_type. */
static void list(const char *path)
{
    DIR *d = opendir(path);
    if (d == NULL) {
        printf("opendir %s: %s\n", path, errname(errno));
        return;
    }
    char *names[64];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 64) {
        char *s = malloc(strlen(e->d_name) + 4);
        sprintf(s, "%s %c", e->d_name,
                e->d_type == DT_DIR ? 'd' : e->d_type == DT_REG ? 'f' : e->d_type == DT_UNKNOWN ? '?' : 'o');
        names[n++] = s;
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof names[0], by_name);
    printf("%s: %d entries\n", path, n);
    for (int i = 0; i < n; i++) {
        printf("  %s\n", names[i]);
        free(names[i]);
    }
}

int main(int argc, char **argv)
{
    enter_scratch(argc, argv);
    list(".");
    SHOW(mkdir("sub", 0755));
    SHOW(mkdir("sub", 0755));
    SHOW(mkdir("sub/inner", 0755));
    SHOW(mkdir("missing/inner", 0755));
    const char *files[] = { "zeta", "alpha", "Mid", "sub/one", "sub/two.txt", "sub/inner/deep" };
    for (unsigned i = 0; i < sizeof files / sizeof files[0]; i++) {
        int fd = open(files[i], O_WRONLY | O_CREAT, 0644);
        MUST(fd >= 0);
        put(fd, files[i]);
        close(fd);
    }
    /* many entries: more than one getdents64 buffer of small size */
    char name[32];
    for (int i = 0; i < 40; i++) {
        sprintf(name, "sub/many-%02d-with-a-longer-name", i);
        int fd = open(name, O_WRONLY | O_CREAT, 0644);
        MUST(fd >= 0);
        close(fd);
    }
    list(".");
    list("sub/inner");
    list("zeta");
    list("nope");

    /* raw getdents64 with a small buffer: count records over several calls */
    int fd = open("sub", O_RDONLY | O_DIRECTORY);
    MUST(fd >= 0);
    static uint64_t words[40]; /* 320 bytes (more than one struct dirent), aligned as records need */
    char *buf = (char *)words;
    int records = 0, calls = 0, longest = 0;
    for (;;) {
        ssize_t n = getdents64(fd, buf, sizeof words);
        MUST(n >= 0);
        if (n == 0)
            break;
        calls++;
        for (ssize_t off = 0; off < n;) {
            struct dirent *e = (struct dirent *)(buf + off);
            MUST(e->d_reclen % 8 == 0);
            if ((int)strlen(e->d_name) > longest)
                longest = (int)strlen(e->d_name);
            records++;
            off += e->d_reclen;
        }
    }
    printf("sub: %d records, more than one call: %s, longest name %d\n", records, calls > 1 ? "yes" : "no", longest);
    SHOW(getdents64(fd, buf, sizeof words));
    SHOW(getdents64(fd, buf, 8));
    close(fd);
    int file = open("alpha", O_RDONLY);
    SHOW(getdents64(file, buf, sizeof words));
    close(file);

    struct stat st;
    MUST(stat("sub", &st) == 0);
    printf("sub is a directory: %d\n", S_ISDIR(st.st_mode));
    SHOW(rmdir("sub/inner"));
    SHOW(unlink("sub/inner/deep"));
    SHOW(rmdir("sub/inner"));
    SHOW(rmdir("sub/inner"));
    list("sub");
    return 0;
}
