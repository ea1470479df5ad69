#!/usr/bin/env python3
"""Wraps lines over 120 characters in C# and F# files, in place: the tool behind issue 13's wrapping.

Usage: /usr/bin/python3 scripts/wrap-long-lines.py FILE... ; prints the lines it left alone (FILE:LINE: reason).
- Comments (// and ///) are rewrapped at word boundaries; a trailing comment moves onto its own line above.
- C#: breaks after a comma, before && || ?? ? + and method-chain dots, after => and =, at the lowest bracket depth;
  a long string splits at a space into "..." + "..." (same text; $ kept on pieces with holes).
- F# (offside rule): only breaks it knows to be safe: after a comma/semicolon inside a call or list, aligned with
  the first element; after `let ... =`; before a trailing application argument of a plain statement; a long
  string splits with a backslash-newline continuation (the string's text is unchanged). Lines followed by a
  continuation line, or inside lambdas/records, are left for a person.
It is a helper, not a formatter: build and review its output (the build's PCSTYLE01 check lists what is left).
"""
import re, sys
LIMIT = 120
FS_KW_STOP = re.compile(r'(^|\s)(=|->|<\||then|else|in|do|let|use|if|match|yield|return|\||<-|fun|function|elif|when|with|try|finally|not|:=|member|override|new|open|and|while|for|to|downto|of|as|type|lazy|assert|upcast|downcast)$')

FS_STOP_ANY = re.compile(r'(^|\s)(=|->|<\||then|else|let|use|if|match|yield|return|do|in|fun|elif|when|<-|member|new|function|try|with)\s')
def is_fs(path): return path.endswith('.fs') or path.endswith('.fsx')

class Scan:
    """Scans one line from a lexer state. Records candidate break points at top-level code."""
    pass

def char_lit(s, i):
    m = re.match(r"'(\\u[0-9a-fA-F]{4}|\\.|[^\\'])'", s[i:])
    return len(m.group(0)) if m else 0

def scan(line, fs, stack0, str_state, fresh=True):
    """Returns (cands, comment_pos, end_state). stack0: list of align columns for brackets open before.
    str_state: None or a tuple describing a string started on an earlier line (then line is unsplittable)."""
    cands = []  # (pos, kind, depth, extra)
    n = len(line); i = 0
    stack = [list(e) for e in stack0] if isinstance(stack0, list) else [['?', None, True] for _ in range(stack0)]
    snaps = {}  # (char, align_col); brackets opened on earlier pieces first
    strings = []  # (start, end, kind, interp, depth, stack_align)
    comment = None
    def depth(): return len(stack)
    flat = ['x'] * n
    def align():
        return stack[-1][1] if stack else None
    while i < n:
        c = line[i]
        if not stack: flat[i] = c
        if line.startswith('//', i):
            comment = i; break
        if c == '"' or (c in '$@' and i + 1 < n and line[i+1] in '"$@'):
            # string start
            j = i; pre = ''
            while j < n and line[j] in '$@': pre += line[j]; j += 1
            if j >= n or line[j] != '"':
                i += 1; continue
            triple = line.startswith('"""', j)
            verb = '@' in pre
            interp = '$' in pre
            k = j + (3 if triple else 1)
            start_text = k
            holes = 0; ok = True; spaces = []
            while True:
                if k >= n: return cands, comment, 'open-string', strings
                ch = line[k]
                if triple:
                    if line.startswith('"""', k): k += 3; break
                    k += 1; continue
                if verb:
                    if ch == '"':
                        if k + 1 < n and line[k+1] == '"': k += 2; continue
                        k += 1; break
                    k += 1; continue
                if ch == '\\': k += 2; continue
                if interp and ch == '{':
                    if k + 1 < n and line[k+1] == '{': k += 2; continue
                    # hole: skip balanced to matching }
                    d = 1; k += 1
                    while k < n and d > 0:
                        if line[k] == '"':
                            k += 1
                            while k < n and line[k] != '"':
                                k += 2 if line[k] == '\\' else 1
                        elif line[k] == '{': d += 1
                        elif line[k] == '}': d -= 1
                        k += 1
                    continue
                if interp and ch == '}' and k + 1 < n and line[k+1] == '}': k += 2; continue
                if ch == '"': k += 1; break
                if ch == ' ' and k + 1 < n and line[k+1] not in ' "': spaces.append(k + 1)
                k += 1
            splittable = not triple and not verb
            after = line[k:k+1]
            if not fs and after in ('.', '['): splittable = False
            if splittable:
                if fs:
                    if stack:
                        top = stack[-1]
                        fscol = top[1] if (not top[2] and top[0] in ('(', '[', '[|') and top[1] is not None) else None
                    else:
                        fl = ''.join(flat[:i])
                        mm = None
                        for mm in re.finditer(r'(^|\s)(=|->|<\||then|else|in|do|yield|return|elif|when|<-|lazy|not)\s', ' ' + fl + ' '):
                            pass
                        startc = (mm.end() - 1) if mm else indent_of(line)
                        while startc < len(line) and line[startc] == ' ': startc += 1
                        fscol = startc + 4
                        if re.match(r'\s*(let|use|member|if|match|while|for)\b', line) and not mm: fscol = None
                    if fscol is None: spaces = []
                else: fscol = None
                for sp in spaces:
                    cands.append((sp, 'str', depth(), (pre, j, fscol)))
            i = k; continue
        if c == "'":
            L = char_lit(line, i)
            if L: i += L; continue
            i += 1; continue
        if not fs and c == '<' and i > 0 and (line[i-1].isalnum() or line[i-1] == '_') and re.match(r'<[\w?,. <>\[\]()]*>', line[i:]):
            stack.append(['<', None, False]); i += 1; continue
        if not fs and c == '>' and stack and stack[-1][0] == '<':
            stack.pop(); i += 1; continue
        if c in '([{':
            j = i + 1
            if fs and c == '[' and j < n and line[j] in '|<': j += 1
            if fs and c == '{' and j < n and line[j] == '|': j += 1
            while j < n and line[j] == ' ': j += 1
            stack.append([c + ('|' if fs and line[i+1:i+2] == '|' else ''), j if j < n else None, False])
            if not fs and j < n and line[j] not in ')]}':
                cands.append((i + 1, 'open', depth() - 1, None))
            i += 1; continue
        if c in ')]}':
            if stack: stack.pop()
            i += 1; continue
        if any(e[0] == '<' for e in stack): i += 1; continue
        if fs and stack and re.match(r'(fun |function|-> |with |<- |= |if |match |let )', line[i:]) and (i == 0 or not (line[i-1].isalnum() or line[i-1] in '_.')):
            stack[-1][2] = True
        if fs and stack and (stack[-1][2] or stack[-1][0] not in ('(', '[', '[|') or (c == ';' and stack[-1][0] == '(')
                             or (c == ',' and stack[-1][0] != '(')
                             or re.search(r'(^|\W)(fun|function)\s|->', line[:i])):
            i += 1; continue
        if (c == ',' or (c == ';' and fs)) and (not fs or stack):
            if i + 1 < n and line[i+1] == ' ':
                snaps[i + 1] = [list(e) for e in stack]
                cands.append((i + 1, 'comma', depth(), align() if fs else None))
            i += 1; continue
        # operators (break before)
        for op in ((' && ', ' || ', ' ?? ', ' ? ', ' + ', ' |> ') if not fs else (' && ', ' || ', ' |> ')):
            if line.startswith(op, i):
                if fs and (stack or FS_STOP_ANY.search(' ' + ''.join(flat[:i]) + ' ')): break
                cands.append((i, 'op', depth(), None))
                break
        if not fs and line.startswith(' => ', i):
            cands.append((i + 3, 'after', depth(), None))
        if not fs and line.startswith(' = ', i) and depth() == 0:
            cands.append((i + 2, 'after', 0, None))
        if not fs and c == '.' and i > 0 and line[i-1] == ')' and re.match(r'\.[A-Z]\w*\(', line[i:]):
            cands.append((i, 'dot', depth(), None))
        if fs and line.startswith(' = ', i) and depth() == 0 and not re.search(r'\sin\s', line) and re.match(r'\s*(let|use|let private|let mutable|let rec|let inline|member [\w.]+)\b', line) and not any(x[1]=='fs-let' for x in cands):
            cands.append((i + 2, 'fs-let', 0, None))
        if fs and c == ' ' and depth() == 0 and i + 1 < n and line[i+1] in '"([$' and not line.startswith('[<', i+1):
            before = line[:i].rstrip()
            if before and not FS_KW_STOP.search(before) and re.search(r'[\w)\]"]$', before) and \
               not FS_STOP_ANY.search(' ' + ''.join(flat[:i]) + ' ') and \
               not re.match(r'\s*(\||yield|test|testCase|testList|testProperty|ptest|ftest|testSequenced)\b', line):
                cands.append((i, 'fsarg', 0, None))
        i += 1
    if fs and not fresh:
        cands = [c for c in cands if c[1] in ('comma',)]
    return cands, comment, None, (strings, snaps)

def indent_of(s): return len(s) - len(s.lstrip(' '))

def split_code(line, fs, base_cont, open0=0, fresh=True):
    """Split one code line (no comment). Returns list of lines or None if impossible."""
    if len(line) <= LIMIT: return [line]
    cands, _, st, extra_ = scan(line, fs, open0, None, fresh)
    if st: return None
    snaps = extra_[1]
    ind = indent_of(line)
    if fs: base_cont = ind + 4
    opts = []
    for pos, kind, d, extra in cands:
        if kind == 'str':
            pre, qpos, fscol = extra
            if fs:
                first = line[:pos] + '\\'
                cont = ' ' * fscol + line[pos:]
            else:
                first = line[:pos] + '" +'
                rest = line[pos:]
                cont = ' ' * base_cont + (pre if '{' in rest[:rest.find('"') if '"' in rest else None] else '') + '"' + rest
            cost = d + (3 if fs else 1.5)
            if pos - qpos < 20 or len(line) - pos < 12: continue
        elif kind == 'comma':
            first = line[:pos].rstrip()
            col = extra if fs else base_cont
            if fs and col is None: continue
            cont = ' ' * col + line[pos:].lstrip()
            cost = d
        elif kind == 'op':
            first = line[:pos].rstrip(); cont = ' ' * base_cont + line[pos:].lstrip(); cost = d
        elif kind in ('after', 'open', 'fs-let'):
            first = line[:pos].rstrip(); cont = ' ' * base_cont + line[pos:].lstrip()
            cost = d + (1.2 if kind == 'open' else 0.2)
        elif kind == 'dot':
            first = line[:pos].rstrip(); cont = ' ' * base_cont + line[pos:]; cost = d + 0.5
        elif kind == 'fsarg':
            first = line[:pos].rstrip(); cont = ' ' * base_cont + line[pos:].lstrip(); cost = 0.3
        else: continue
        if len(first) > LIMIT or not cont.strip() or len(first.strip()) < 3: continue
        if fs and kind == 'str' and len(cont) > LIMIT: continue
        if first.rstrip().endswith(('(', '[')) and fs: continue
        if fs and kind == 'comma' and extra is not None and extra <= ind: continue
        long_enough = len(first) >= ind + 0.45 * (LIMIT - ind)
        nxt = (snaps.get(pos), kind == 'fs-let') if fs else (d + (1 if kind == 'open' else 0), True)
        opts.append((not long_enough, cost, -len(first), first, cont, nxt))
    if not opts: return None
    opts.sort(key=lambda o: o[:3])
    _, _, _, first, cont, (d, fresh2) = opts[0]
    if fs and d is None: d = 0
    if len(cont) >= len(line): return None
    if fs and first.endswith('\\'): return [first, cont]
    rest = split_code(cont, fs, base_cont, d, fresh2)
    if rest is None: return None
    return [first] + rest

def wrap_comment(prefix, text):
    out = []; words = text.split(' ')
    cur = ''
    for w in words:
        cand = (cur + ' ' + w) if cur else w
        if len(prefix) + len(cand) > LIMIT and cur:
            out.append(prefix + cur); cur = w
        else: cur = cand
    out.append(prefix + cur)
    return out

def process(path, report):
    fs = is_fs(path)
    lines = open(path, encoding='utf-8').read().split('\n')
    out = []; in_str = False
    for no, line in enumerate(lines, 1):
        if len(line) <= LIMIT:
            out.append(line); continue
        m = re.match(r'^(\s*)(///?)(\s*)(.*)$', line)
        if m and not in_str:
            ind, sl, sp, text = m.groups()
            inner = re.match(r'^((?:[-*]|\d+\.)\s+)?', text).group(0)
            prefix = ind + sl + (sp or ' ')
            wrapped = wrap_comment(prefix, text)
            if len(wrapped) > 1 and inner:
                wrapped = [wrapped[0]] + [prefix + ' ' * len(inner) + w[len(prefix):] for w in wrapped[1:]]
            if all(len(w) <= LIMIT for w in wrapped):
                out.extend(wrapped); continue
            report.append(f'{path}:{no}: comment word too long'); out.append(line); continue
        cands, comment, st, _ = scan(line, fs, 0, None)
        if st:
            report.append(f'{path}:{no}: open string'); out.append(line); continue
        ind = indent_of(line)
        pre = []
        code = line
        if comment is not None:
            code = line[:comment].rstrip()
            ctext = line[comment:]
            mm = re.match(r'(///?)\s*(.*)', ctext)
            pre = wrap_comment(' ' * ind + mm.group(1) + ' ', mm.group(2))
        if len(code) <= LIMIT:
            out.extend(pre); out.append(code); continue
        nxt_line = lines[no].strip() if no < len(lines) else ''
        if fs and re.match(r'(\|>|>>|\|\||&&|\+|-|\*|\.|<\|)', nxt_line):
            report.append(f'{path}:{no}: next line continues'); out.append(line); continue
        r = split_code(code, fs, ind + 4)
        if r is None:
            report.append(f'{path}:{no}: no split'); out.append(line); continue
        out.extend(pre); out.extend(r)
    new = '\n'.join(out)
    open(path, 'w', encoding='utf-8').write(new)

rep = []
for p in sys.argv[1:]: process(p, rep)
if rep: print('\n'.join(rep))
print(len(rep), 'lines left as they were', file=sys.stderr)
