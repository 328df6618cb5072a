/* A file unlinked while open stays usable through its descriptors until the last close. */
#include <fcntl.h>
#include <sys/stat.h>
#include "check.h"

int main(int argc, char **argv)
{
    enter_scratch(argc, argv);
    int fd = open("ghost.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
    MUST(fd >= 0);
    put(fd, "still here\n");
    int other = open("ghost.txt", O_RDONLY);
    MUST(other >= 0);
    struct stat st;
    MUST(fstat(fd, &st) == 0);
    printf("links before: %u\n", (unsigned)st.st_nlink);
    SHOW(unlink("ghost.txt"));
    SHOW(unlink("ghost.txt"));
    SHOW(open("ghost.txt", O_RDONLY));
    SHOW(stat("ghost.txt", &st));
    MUST(fstat(fd, &st) == 0);
    printf("links after: %u size %lld\n", (unsigned)st.st_nlink, (long long)st.st_size);
    dump("other reads", other, 64);
    put(fd, "more\n");
    dump("other continues", other, 64);
    SHOW(lseek(fd, 0, SEEK_SET));
    dump("fd reads", fd, 64);
    SHOW(ftruncate(fd, 5));
    MUST(fstat(other, &st) == 0);
    printf("size after truncate: %lld\n", (long long)st.st_size);

    /* a new file with the same name is a different file */
    int fresh = open("ghost.txt", O_RDWR | O_CREAT | O_EXCL, 0644);
    SHOW(fresh >= 0);
    put(fresh, "new");
    SHOW(lseek(other, 0, SEEK_SET));
    dump("old file", other, 64);
    SHOW(close(fd));
    dump("old file after one close", other, 64);
    SHOW(close(other));
    SHOW(close(fresh));

    /* unlinking a directory is EISDIR; rmdir of a file ENOTDIR */
    MUST(mkdir("d", 0755) == 0);
    SHOW(unlink("d"));
    SHOW(rmdir("ghost.txt"));
    return 0;
}
