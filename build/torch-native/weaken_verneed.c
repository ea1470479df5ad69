/* Marks one version requirement (e.g. GLIBCXX_3.4.32) of an ELF64 shared library as weak
 * (VER_FLG_WEAK), so that the dynamic loader no longer refuses the library when the system's
 * libstdc++ lacks that version. Used only after no symbol refers to the version any more.
 * Idempotent. Usage: weaken_verneed FILE VERSION  (exit 0 when the flag is set, also if already). */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char *read_all(const char *path, long *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    *size = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc((size_t)*size);
    if (buf && fread(buf, 1, (size_t)*size, f) != (size_t)*size) { free(buf); buf = NULL; }
    fclose(f);
    return buf;
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: %s FILE VERSION\n", argv[0]); return 2; }
    long size = 0;
    unsigned char *buf = read_all(argv[1], &size);
    if (!buf) { fprintf(stderr, "weaken_verneed: cannot read %s\n", argv[1]); return 1; }
    Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;
    if (size < (long)sizeof *eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64) {
        fprintf(stderr, "weaken_verneed: %s is not an ELF64 file\n", argv[1]); return 1;
    }
    Elf64_Shdr *sh = (Elf64_Shdr *)(buf + eh->e_shoff);
    int found = 0;
    for (int i = 0; i < eh->e_shnum; i++) {
        if (sh[i].sh_type != SHT_GNU_verneed) continue;
        const char *strtab = (const char *)(buf + sh[sh[i].sh_link].sh_offset);
        unsigned char *p = buf + sh[i].sh_offset;
        for (;;) {
            Elf64_Verneed *vn = (Elf64_Verneed *)p;
            unsigned char *q = p + vn->vn_aux;
            for (int k = 0; k < vn->vn_cnt; k++) {
                Elf64_Vernaux *va = (Elf64_Vernaux *)q;
                if (strcmp(strtab + va->vna_name, argv[2]) == 0) { va->vna_flags |= VER_FLG_WEAK; found = 1; }
                if (!va->vna_next) break;
                q += va->vna_next;
            }
            if (!vn->vn_next) break;
            p += vn->vn_next;
        }
    }
    if (!found) { fprintf(stderr, "weaken_verneed: %s does not require %s\n", argv[1], argv[2]); return 1; }
    FILE *f = fopen(argv[1], "r+b");
    if (!f || fwrite(buf, 1, (size_t)size, f) != (size_t)size || fclose(f) != 0) {
        fprintf(stderr, "weaken_verneed: cannot write %s\n", argv[1]); return 1;
    }
    free(buf);
    return 0;
}
