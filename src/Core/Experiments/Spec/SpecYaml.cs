using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using YamlDotNet.Core;

namespace MnistCnn.Core.Experiments.Spec;

/// <summary>Reads YAML into <see cref="SpecNode"/>s and writes them back as block-style YAML.</summary>
internal static partial class SpecYaml
{
    /// <summary>
    /// Parses one YAML document; syntax errors and exceeded <see cref="SpecLimits"/> become diagnostics and a null
    /// result. Reads the parser's events into nodes with an explicit stack (no recursion, so no nesting depth can
    /// overflow the stack), copies an alias's node only while the whole document stays under
    /// <see cref="SpecLimits.MaxNodes"/> nodes (so a "billion laughs" document stops after a few thousand copies),
    /// and refuses an alias that points into the node it is part of.
    /// </summary>
    public static SpecNode? Parse(string text, string file, List<SpecDiagnostic> diagnostics, SpecLimits? limits = null)
    {
        limits ??= SpecLimits.Default;
        var parser = new Parser(new StringReader(text));
        var builder = new TreeBuilder(file, limits);
        try
        {
            while (parser.MoveNext())
            {
                if (parser.Current is not { } e) continue;
                var problem = builder.Add(e);
                if (problem is not null)
                {
                    diagnostics.Add(problem);
                    return null;
                }
                if (builder.SecondDocument is { } second)
                {
                    diagnostics.Add(new SpecDiagnostic(file, second.Line, second.Column, SpecCodes.YamlSyntax,
                        "a spec file holds one YAML document; remove the second '---' document or move it to its own file."));
                    break;
                }
            }
        }
        catch (YamlException ex)
        {
            var at = ex.Start.Line > 0 ? ex.Start : ex.End;
            var (line, column) = TabPosition(text, (int)at.Line, ex) ?? ((int)at.Line, (int)at.Column);
            diagnostics.Add(new SpecDiagnostic(file, Math.Max(1, line), Math.Max(1, column), SpecCodes.YamlSyntax,
                "YAML syntax error: " + CleanYamlMessage(ex) + TabAdvice(text, line, ex) + "."));
            return null;
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException)
        {
            // Some malformed input fails without a position: an unclosed flow list (InvalidOperationException), a tag
            // that is not a valid URI such as "!!binar[y" (ArgumentException); find it with the event parser.
            var (at, message) = LocateSyntaxError(text);
            diagnostics.Add(new SpecDiagnostic(file, Math.Max(1, (int)at.Line), Math.Max(1, (int)at.Column), SpecCodes.YamlSyntax, "YAML syntax error: " + message + "."));
            return null;
        }
        return builder.Root ?? new SpecMapping(SourceLocation.StartOf(file));
    }

    /// <summary>
    /// YAML forbids tabs in indentation, and YamlDotNet often reports that at the start of the token it was reading
    /// (line 1, column 1 for a tab deep in the file). When the reader fails and a line is indented with a tab, the
    /// first such tab is where the user must look.
    /// </summary>
    private static (int Line, int Column)? TabPosition(string text, int reportedLine, YamlException ex)
    {
        var lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            int tab = line.IndexOf('\t', StringComparison.Ordinal);
            if (tab < 0) continue;
            // Only a tab in the indentation (or right after the "-" of a list item) breaks YAML; elsewhere it is
            // ordinary white space. Trust a reported line past 1 unless the message itself is about a tab.
            string before = line[..tab].Trim();
            bool indentation = before.Length == 0 || before == "-";
            bool anywhere = reportedLine <= 1 || ex.Message.Contains("tab", StringComparison.OrdinalIgnoreCase);
            if (indentation && (anywhere || i + 1 <= reportedLine + 1)) return (i + 1, tab + 1);
        }
        return null;
    }

    private static string TabAdvice(string text, int line, YamlException ex)
    {
        var lines = text.Split('\n');
        bool tabHere = line >= 1 && line <= lines.Length && lines[line - 1].Contains('\t', StringComparison.Ordinal);
        if (!tabHere) return "";
        return ex.Message.Contains("tab", StringComparison.OrdinalIgnoreCase) ? "; YAML indents with spaces only" : " (this line is indented with a tab; YAML indents with spaces only)";
    }

    /// <summary>Builds the node tree from parser events, enforcing <see cref="SpecLimits"/>.</summary>
    private sealed class TreeBuilder
    {
        private sealed class Frame
        {
            public required SpecNode Node { get; init; }
            public string? Anchor { get; init; }
            public SpecScalar? PendingKey { get; set; }
            public bool ExpectKey { get; set; } = true;
            public Dictionary<string, SpecScalar> Keys { get; } = new(StringComparer.Ordinal);
        }

        private readonly string file;
        private readonly SpecLimits limits;
        private readonly Stack<Frame> open = new();
        private readonly Dictionary<string, (SpecNode Node, long Weight)> anchors = new(StringComparer.Ordinal);
        private readonly Dictionary<SpecNode, long> weights = new(ReferenceEqualityComparer.Instance);
        private long total;
        private int documents;
        private bool awaitingSecondRoot;

        public TreeBuilder(string file, SpecLimits limits)
        {
            this.file = file;
            this.limits = limits;
        }

        public SpecNode? Root { get; private set; }

        public SourceLocation? SecondDocument { get; private set; }

        public SpecDiagnostic? Add(YamlDotNet.Core.Events.ParsingEvent e)
        {
            switch (e)
            {
                case YamlDotNet.Core.Events.DocumentStart:
                    documents++;
                    if (documents > 1) awaitingSecondRoot = true;
                    return null;
                case YamlDotNet.Core.Events.MappingStart or YamlDotNet.Core.Events.SequenceStart or YamlDotNet.Core.Events.Scalar or YamlDotNet.Core.Events.AnchorAlias
                    when awaitingSecondRoot:
                    SecondDocument = At(e.Start);
                    return null;
                case YamlDotNet.Core.Events.MappingStart m:
                    return Open(new SpecMapping(At(m.Start)), m.Anchor, m.Start);
                case YamlDotNet.Core.Events.SequenceStart s:
                    return Open(new SpecSequence(At(s.Start)), s.Anchor, s.Start);
                case YamlDotNet.Core.Events.MappingEnd or YamlDotNet.Core.Events.SequenceEnd:
                    var frame = open.Pop();
                    long weight = weights[frame.Node];
                    if (frame.Anchor is not null) anchors[frame.Anchor] = (frame.Node, weight);
                    return Attach(frame.Node, weight, e.Start);
                case YamlDotNet.Core.Events.Scalar sc:
                    var scalar = new SpecScalar(sc.Value ?? "", sc.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded, At(sc.Start));
                    if (Count(1, sc.Start) is { } tooMany) return tooMany;
                    if (!sc.Anchor.IsEmpty) anchors[sc.Anchor.Value] = (scalar, 1);
                    return Attach(scalar, 1, sc.Start);
                case YamlDotNet.Core.Events.AnchorAlias alias:
                    return Alias(alias);
                default:
                    return null;
            }
        }

        private SpecDiagnostic? Open(SpecNode node, AnchorName anchor, Mark start)
        {
            if (open.Count >= limits.MaxDepth)
            {
                return new SpecDiagnostic(file, (int)start.Line, (int)start.Column, SpecCodes.LimitExceeded, string.Create(CultureInfo.InvariantCulture,
                    $"the spec nests mappings and lists more than {limits.MaxDepth} levels deep here; a spec needs only a few levels. Check for an unclosed '[' or '{{' or runaway indentation"));
            }
            if (Count(1, start) is { } tooMany) return tooMany;
            weights[node] = 1;
            open.Push(new Frame { Node = node, Anchor = anchor.IsEmpty ? null : anchor.Value });
            return null;
        }

        private SpecDiagnostic? Alias(YamlDotNet.Core.Events.AnchorAlias alias)
        {
            string name = alias.Value.Value;
            if (open.Any(f => f.Anchor == name))
            {
                return new SpecDiagnostic(file, (int)alias.Start.Line, (int)alias.Start.Column, SpecCodes.YamlSyntax,
                    $"the alias '*{name}' refers to '&{name}', which contains it: a node cannot include itself. Repeat the values instead of the alias");
            }
            if (!anchors.TryGetValue(name, out var target))
            {
                return new SpecDiagnostic(file, (int)alias.Start.Line, (int)alias.Start.Column, SpecCodes.YamlSyntax,
                    $"the alias '*{name}' refers to no anchor '&{name}' before it. Define '&{name}' first, or check the spelling");
            }
            if (Count(target.Weight, alias.Start) is { } tooMany) return tooMany;
            // A copy, so later merges and overrides of one use never change another; its size is bounded by the limit just checked.
            var copy = target.Node.Clone();
            return Attach(copy, target.Weight, alias.Start);
        }

        private SpecDiagnostic? Count(long nodes, Mark at)
        {
            total += nodes;
            if (total <= limits.MaxNodes) return null;
            return new SpecDiagnostic(file, (int)at.Line, (int)at.Column, SpecCodes.LimitExceeded, string.Create(CultureInfo.InvariantCulture,
                $"the spec grows past {limits.MaxNodes} values here{(nodes > 1 ? " because this alias repeats a large node" : "")}; specs hold a few dozen values. Aliases that repeat aliases (a \"billion laughs\" document) multiply their size"));
        }

        private SpecDiagnostic? Attach(SpecNode node, long weight, Mark at)
        {
            if (open.Count == 0)
            {
                Root ??= node;
                return null;
            }
            var parent = open.Peek();
            weights[parent.Node] += weight;
            switch (parent.Node)
            {
                case SpecSequence seq:
                    seq.Items.Add(node);
                    return null;
                case SpecMapping when parent.ExpectKey:
                    string keyText = node switch
                    {
                        SpecScalar s => s.Value,
                        SpecMapping => "{...}",
                        _ => "[...]",
                    };
                    var key = new SpecScalar(keyText, false, node.Location);
                    if (parent.Keys.TryGetValue(keyText, out var first))
                    {
                        return new SpecDiagnostic(file, (int)at.Line, (int)at.Column, SpecCodes.YamlSyntax, string.Create(CultureInfo.InvariantCulture,
                            $"duplicate key '{keyText}' (first at line {first.Location.Line}, column {first.Location.Column}); a mapping holds each key once"));
                    }
                    parent.Keys[keyText] = key;
                    parent.PendingKey = key;
                    parent.ExpectKey = false;
                    return null;
                case SpecMapping map:
                    map.Entries.Add(new(parent.PendingKey!, node));
                    parent.PendingKey = null;
                    parent.ExpectKey = true;
                    return null;
                default:
                    return null;
            }
        }

        private SourceLocation At(Mark mark) => new(file, (int)mark.Line, (int)mark.Column);
    }

    private static (Mark At, string Message) LocateSyntaxError(string text)
    {
        var parser = new Parser(new StringReader(text));
        Mark last = Mark.Empty;
        string open = "";
        try
        {
            while (parser.MoveNext())
            {
                if (parser.Current is { } e)
                {
                    last = e.End;
                    if (e is YamlDotNet.Core.Events.SequenceStart { Style: YamlDotNet.Core.Events.SequenceStyle.Flow } s) open = $" (the '[' at line {s.Start.Line}, column {s.Start.Column} is never closed)";
                    if (e is YamlDotNet.Core.Events.MappingStart { Style: YamlDotNet.Core.Events.MappingStyle.Flow } m) open = $" (the '{{' at line {m.Start.Line}, column {m.Start.Column} is never closed)";
                    if (e is YamlDotNet.Core.Events.SequenceEnd or YamlDotNet.Core.Events.MappingEnd) open = "";
                }
            }
        }
        catch (YamlException ex)
        {
            return (ex.Start.Line > 0 ? ex.Start : last, CleanYamlMessage(ex));
        }
        catch (InvalidOperationException)
        {
            return (last, "the document ends in the middle of a value" + open);
        }
        catch (ArgumentException ex)
        {
            // YamlDotNet refuses some tokens with an argument check, e.g. "Global tags must be valid URIs." for "!!a[b".
            string reason = ex.Message.Split(" (Parameter", 2)[0].TrimEnd('.');
            return (last, $"after this point: {reason} (a '!' starts a YAML tag; quote the value if it is text)");
        }
        return (last, "the document cannot be read" + open);
    }

    private static string CleanYamlMessage(YamlException ex)
    {
        string message = ex.Message;
        // YamlDotNet prefixes "(Line: 2, Col: 1, Idx: 5) - (Line: ...): "; the location is reported separately.
        int cut = message.LastIndexOf("): ", StringComparison.Ordinal);
        if (message.StartsWith("(Line", StringComparison.Ordinal) && cut >= 0) message = message[(cut + 3)..];
        return message.TrimEnd('.');
    }

    /// <summary>Block-style YAML for a node; deterministic, so hashes of the text are stable.</summary>
    public static string Write(SpecNode node, string? header = null)
    {
        var sb = new StringBuilder();
        if (header is not null)
        {
            foreach (var line in header.Split('\n')) sb.Append("# ").Append(line.TrimEnd('\r')).Append('\n');
        }
        WriteNode(sb, node, 0, inSequence: false);
        return sb.ToString();
    }

    private static void WriteNode(StringBuilder sb, SpecNode node, int indent, bool inSequence)
    {
        switch (node)
        {
            case SpecMapping m when m.Entries.Count == 0:
                sb.Append("{}\n");
                break;
            case SpecMapping m:
                bool first = true;
                foreach (var (key, value) in m.Entries)
                {
                    if (!(first && inSequence)) sb.Append(' ', indent);
                    first = false;
                    sb.Append(Scalar(key)).Append(':');
                    WriteChild(sb, value, indent);
                }
                break;
            case SpecSequence s when s.Items.Count == 0:
                sb.Append("[]\n");
                break;
            case SpecSequence s:
                bool firstItem = true;
                foreach (var item in s.Items)
                {
                    if (!(firstItem && inSequence)) sb.Append(' ', indent);
                    firstItem = false;
                    sb.Append("- ");
                    if (item is SpecScalar sc) sb.Append(Scalar(sc)).Append('\n');
                    else WriteNode(sb, item, indent + 2, inSequence: true);
                }
                break;
            case SpecScalar sc:
                sb.Append(Scalar(sc)).Append('\n');
                break;
        }
    }

    private static void WriteChild(StringBuilder sb, SpecNode value, int indent)
    {
        switch (value)
        {
            case SpecScalar sc:
                sb.Append(' ').Append(Scalar(sc)).Append('\n');
                break;
            case SpecMapping { Entries.Count: 0 }:
            case SpecSequence { Items.Count: 0 }:
                sb.Append(' ');
                WriteNode(sb, value, indent, false);
                break;
            case SpecMapping:
                sb.Append('\n');
                WriteNode(sb, value, indent + 2, false);
                break;
            case SpecSequence:
                sb.Append('\n');
                WriteNode(sb, value, indent + 2, false);
                break;
        }
    }

    [GeneratedRegex(@"^[A-Za-z0-9_./+\-][A-Za-z0-9_ ./+\-=,()]*$")]
    private static partial Regex PlainSafe();

    private static string Scalar(SpecScalar scalar)
    {
        string v = scalar.Value;
        if (!scalar.Quoted && (scalar.IsNull || (PlainSafe().IsMatch(v) && !v.EndsWith(' ') && !v.StartsWith('-') || scalar.Typed() is not string and not null)))
        {
            return scalar.IsNull ? "null" : v;
        }
        var sb = new StringBuilder("\"");
        foreach (char c in v)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (char.IsControl(c)) sb.Append(string.Create(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}"));
                    else sb.Append(c);
                    break;
            }
        }
        return sb.Append('"').ToString();
    }
}
