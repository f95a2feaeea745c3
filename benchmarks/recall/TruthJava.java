// Public declarations of Java files, read with javac's tree API (com.sun.source.tree).
//
// Reads file paths (one a line) on stdin and prints one JSON object a line:
// {"file", "decls"} or {"file", "error"}; each declaration is {"name",
// "kind", "line", "full", "head", "value"} (see truth_python.py). Parses only:
// no symbol resolution, so no classpath is needed.
//
// Public: public top-level types (class, interface, enum, record,
// annotation); their public members, and every member of an interface or
// annotation type that is not private, and protected members too (they are
// API to subclasses, and Javadoc lists them): each method overload and constructor
// (named after its class), fields, enum constants, public and protected nested types
// (named Outer.Inner).

import com.sun.source.tree.*;
import com.sun.source.util.*;
import java.io.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.*;
import javax.lang.model.element.Modifier;
import javax.tools.*;

public class TruthJava {
    private final CompilationUnitTree unit;
    private final SourcePositions positions;
    private final String text;
    private final StringBuilder out = new StringBuilder();
    private int count = 0;

    TruthJava(CompilationUnitTree unit, SourcePositions positions, String text) {
        this.unit = unit;
        this.positions = positions;
        this.text = text;
    }

    private long start(Tree tree) { return positions.getStartPosition(unit, tree); }
    private long end(Tree tree) { return positions.getEndPosition(unit, tree); }

    private static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }

    private void add(String name, String kind, long from, long headEnd, long to, boolean value) {
        String full = text.substring((int) from, (int) to);
        String head = headEnd >= 0 ? text.substring((int) from, (int) headEnd) : full;
        long line = unit.getLineMap().getLineNumber(from);
        if (count++ > 0) out.append(',');
        out.append("{\"name\":").append(quote(name)).append(",\"kind\":").append(quote(kind))
            .append(",\"line\":").append(line).append(",\"full\":").append(quote(full))
            .append(",\"head\":").append(quote(head)).append(",\"value\":").append(value).append('}');
    }

    /** Where a declaration starts: its modifiers (annotations included) when it has any. */
    private long declStart(Tree tree, ModifiersTree modifiers) {
        long start = start(tree);
        if (modifiers != null && (!modifiers.getFlags().isEmpty() || !modifiers.getAnnotations().isEmpty())) {
            long m = start(modifiers);
            if (m >= 0 && m < start) start = m;
        }
        return start;
    }

    /** The first '{' from ``from`` on, outside comments and literals. */
    private long brace(long from) {
        int i = (int) from;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (text.startsWith("//", i)) { int e = text.indexOf('\n', i); i = e < 0 ? text.length() : e; continue; }
            if (text.startsWith("/*", i)) { int e = text.indexOf("*/", i + 2); i = e < 0 ? text.length() : e + 2; continue; }
            if (c == '"' || c == '\'') {
                int j = i + 1;
                while (j < text.length() && text.charAt(j) != c) j += text.charAt(j) == '\\' ? 2 : 1;
                i = j + 1;
                continue;
            }
            if (c == '{') return i;
            i++;
        }
        return -1;
    }

    /** Public or protected; in an interface or annotation type, anything not private. */
    private static boolean visible(Set<Modifier> flags, boolean iface) {
        return flags.contains(Modifier.PUBLIC) || flags.contains(Modifier.PROTECTED)
            || (iface && !flags.contains(Modifier.PRIVATE));
    }

    private static String kindOf(ClassTree type) {
        switch (type.getKind()) {
            case INTERFACE: return "interface";
            case ENUM: return "enum";
            case ANNOTATION_TYPE: return "annotation";
            case RECORD: return "record";
            default: return "class";
        }
    }

    private void type(ClassTree type, String name) {
        String kind = kindOf(type);
        ModifiersTree modifiers = type.getModifiers();
        long from = declStart(type, modifiers);
        // The body's brace follows the header: search after the modifiers (annotations may hold braces).
        long after = modifiers != null && end(modifiers) > from ? end(modifiers) : from;
        add(name, kind, from, brace(after), end(type), false);
        boolean iface = kind.equals("interface") || kind.equals("annotation");
        String simple = type.getSimpleName().toString();
        for (Tree member : type.getMembers()) {
            if (member instanceof VariableTree) {
                VariableTree field = (VariableTree) member;
                Set<Modifier> flags = field.getModifiers().getFlags();
                long fieldStart = declStart(field, field.getModifiers());
                if (kind.equals("enum") && isEnumConstant(field)) {
                    long fieldEnd = end(field);
                    ExpressionTree init = field.getInitializer();
                    long head = -1;
                    if (init instanceof NewClassTree && ((NewClassTree) init).getClassBody() != null) {
                        head = brace(end(field.getModifiers()) > fieldStart ? end(field.getModifiers()) : fieldStart);
                    }
                    add(name + "." + field.getName(), "constant", fieldStart, head, fieldEnd, false);
                    continue;
                }
                if (!visible(flags, iface)) continue;
                boolean constant = iface || (flags.contains(Modifier.STATIC) && flags.contains(Modifier.FINAL));
                ExpressionTree init = field.getInitializer();
                long head = init != null ? start(init) : -1;
                add(name + "." + field.getName(), constant ? "constant" : "field", fieldStart, head,
                    fieldEnd(field), true);
            } else if (member instanceof MethodTree) {
                MethodTree method = (MethodTree) member;
                Set<Modifier> flags = method.getModifiers().getFlags();
                if (!visible(flags, iface)) continue;
                boolean constructor = method.getName().contentEquals("<init>");
                if (constructor && end(method) <= start(method)) continue;  // a record's implicit one
                String methodName = constructor ? simple : method.getName().toString();
                long head = method.getBody() != null ? start(method.getBody()) : -1;
                add(name + "." + methodName, constructor ? "constructor" : "method",
                    declStart(method, method.getModifiers()), head, end(method), false);
            } else if (member instanceof ClassTree) {
                ClassTree nested = (ClassTree) member;
                Set<Modifier> flags = nested.getModifiers().getFlags();
                if (visible(flags, iface)) {
                    type(nested, name + "." + nested.getSimpleName());
                }
            }
        }
    }

    /** A field declaration ``int a, b;`` is one text for two trees: it ends at its ';'. */
    private long fieldEnd(VariableTree field) {
        int i = (int) end(field);
        if (i > 0 && text.charAt(i - 1) == ';') return i;
        int depth = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (text.startsWith("//", i)) { int e = text.indexOf('\n', i); i = e < 0 ? text.length() : e; continue; }
            if (text.startsWith("/*", i)) { int e = text.indexOf("*/", i + 2); i = e < 0 ? text.length() : e + 2; continue; }
            if (c == '"' || c == '\'') {
                int j = i + 1;
                while (j < text.length() && text.charAt(j) != c) j += text.charAt(j) == '\\' ? 2 : 1;
                i = j + 1;
                continue;
            }
            if (c == '(' || c == '[' || c == '{') depth++;
            else if (c == ')' || c == ']' || c == '}') depth--;
            else if (c == ';' && depth == 0) return i + 1;
            i++;
        }
        return end(field);
    }

    /** An enum constant has no type before its name (javac marks it with an internal flag). */
    private boolean isEnumConstant(VariableTree field) {
        ModifiersTree modifiers = field.getModifiers();
        long s = start(field);
        if (modifiers != null && end(modifiers) > s) s = end(modifiers);
        int i = (int) s;
        while (i < text.length()) {
            if (Character.isWhitespace(text.charAt(i))) { i++; continue; }
            if (text.startsWith("//", i)) { int e = text.indexOf('\n', i); i = e < 0 ? text.length() : e; continue; }
            if (text.startsWith("/*", i)) { int e = text.indexOf("*/", i + 2); i = e < 0 ? text.length() : e + 2; continue; }
            break;
        }
        String name = field.getName().toString();
        int after = i + name.length();
        return text.startsWith(name, i)
            && (after >= text.length() || !Character.isJavaIdentifierPart(text.charAt(after)));
    }

    String read() {
        for (Tree decl : unit.getTypeDecls()) {
            if (decl instanceof ClassTree) {
                ClassTree type = (ClassTree) decl;
                if (type.getModifiers().getFlags().contains(Modifier.PUBLIC)) {
                    type(type, type.getSimpleName().toString());
                }
            }
        }
        return out.toString();
    }

    public static void main(String[] args) throws Exception {
        JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintStream stdout = new PrintStream(new FileOutputStream(FileDescriptor.out), true, "UTF-8");
        StandardJavaFileManager files = compiler.getStandardFileManager(null, null, StandardCharsets.UTF_8);
        String path;
        while ((path = in.readLine()) != null) {
            if (path.isEmpty()) continue;
            try {
                String text = Files.readString(Path.of(path), StandardCharsets.UTF_8);
                JavaFileObject source = files.getJavaFileObjects(path).iterator().next();
                DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
                JavacTask task = (JavacTask) compiler.getTask(null, files, diagnostics,
                    List.of("-proc:none", "--release", "17"), null, List.of(source));
                CompilationUnitTree unit = task.parse().iterator().next();
                for (Diagnostic<?> d : diagnostics.getDiagnostics()) {
                    if (d.getKind() == Diagnostic.Kind.ERROR) throw new IOException(d.getMessage(null));
                }
                String decls = new TruthJava(unit, Trees.instance(task).getSourcePositions(), text).read();
                stdout.println("{\"file\":" + quote(path) + ",\"decls\":[" + decls + "]}");
            } catch (Exception error) {
                stdout.println("{\"file\":" + quote(path) + ",\"error\":" + quote(error.toString()) + "}");
            }
        }
    }
}
