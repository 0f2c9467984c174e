using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace MnistCnn.Core.Experiments;

/// <summary>Where a spec node was written: file and 1-based line and column.</summary>
public sealed record SourceLocation(string File, int Line, int Column)
{
    public static SourceLocation StartOf(string file) => new(file, 1, 1);
}

/// <summary>
/// A YAML node of an experiment spec that remembers where it was written, even after <c>extends</c> merges and sweep
/// overrides, so every problem can be reported at its file, line and column.
/// </summary>
internal abstract class SpecNode
{
    protected SpecNode(SourceLocation location) => Location = location;

    public SourceLocation Location { get; }

    public abstract SpecNode Clone();

    public abstract string TypeName { get; }
}

internal sealed class SpecScalar : SpecNode
{
    public SpecScalar(string value, bool quoted, SourceLocation location) : base(location)
    {
        Value = value;
        Quoted = quoted;
    }

    public string Value { get; }

    /// <summary>Written in quotes (so always text, never a number, boolean or null).</summary>
    public bool Quoted { get; }

    public bool IsNull => !Quoted && Value is "" or "~" or "null" or "Null" or "NULL";

    public override string TypeName => IsNull ? "null" : "a scalar";

    public override SpecNode Clone() => this;

    /// <summary>A plain scalar holding a value the way a spec writes it (numbers invariant, round-trip).</summary>
    public static SpecScalar FromValue(object? value, SourceLocation location) => value switch
    {
        null => new SpecScalar("null", false, location),
        bool b => new SpecScalar(b ? "true" : "false", false, location),
        double d => new SpecScalar(d.ToString("R", CultureInfo.InvariantCulture), false, location),
        long l => new SpecScalar(l.ToString(CultureInfo.InvariantCulture), false, location),
        int i => new SpecScalar(i.ToString(CultureInfo.InvariantCulture), false, location),
        string s => new SpecScalar(s, LooksNonText(s), location),
        _ => new SpecScalar(Convert.ToString(value, CultureInfo.InvariantCulture) ?? "", false, location),
    };

    /// <summary>The typed value a plain scalar means: long, double, bool, null or string.</summary>
    public object? Typed()
    {
        if (Quoted) return Value;
        if (IsNull) return null;
        if (Value is "true" or "True" or "TRUE") return true;
        if (Value is "false" or "False" or "FALSE") return false;
        if (long.TryParse(Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l)) return l;
        if (TryParseDouble(Value, out double d)) return d;
        return Value;
    }

    public static bool TryParseDouble(string text, out double value)
    {
        switch (text)
        {
            case ".inf" or ".Inf" or "+.inf": value = double.PositiveInfinity; return true;
            case "-.inf" or "-.Inf": value = double.NegativeInfinity; return true;
            case ".nan" or ".NaN": value = double.NaN; return true;
        }
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && text.Any(char.IsDigit);
    }

    private static bool LooksNonText(string s) => new SpecScalar(s, false, SourceLocation.StartOf("")).Typed() is not string;
}

internal sealed class SpecMapping : SpecNode
{
    public SpecMapping(SourceLocation location) : base(location) { }

    public List<KeyValuePair<SpecScalar, SpecNode>> Entries { get; } = new();

    public override string TypeName => "a mapping";

    public SpecNode? this[string key] => Entries.FirstOrDefault(e => e.Key.Value == key).Value;

    public SpecScalar? KeyNode(string key) => Entries.FirstOrDefault(e => e.Key.Value == key).Key;

    public void Set(SpecScalar key, SpecNode value)
    {
        int i = Entries.FindIndex(e => e.Key.Value == key.Value);
        if (i >= 0) Entries[i] = new(key, value);
        else Entries.Add(new(key, value));
    }

    public bool Remove(string key) => Entries.RemoveAll(e => e.Key.Value == key) > 0;

    public override SpecNode Clone()
    {
        var copy = new SpecMapping(Location);
        foreach (var e in Entries) copy.Entries.Add(new(e.Key, e.Value.Clone()));
        return copy;
    }
}

internal sealed class SpecSequence : SpecNode
{
    public SpecSequence(SourceLocation location) : base(location) { }

    public List<SpecNode> Items { get; } = new();

    public override string TypeName => "a list";

    public override SpecNode Clone()
    {
        var copy = new SpecSequence(Location);
        copy.Items.AddRange(Items.Select(i => i.Clone()));
        return copy;
    }
}

/// <summary>Reads YAML into <see cref="SpecNode"/>s and writes them back as block-style YAML.</summary>
internal static partial class SpecYaml
{
    /// <summary>Parses one YAML document; syntax errors become diagnostics and a null result.</summary>
    public static SpecNode? Parse(string text, string file, List<SpecDiagnostic> diagnostics)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException ex)
        {
            var at = ex.Start.Line > 0 ? ex.Start : ex.End;
            diagnostics.Add(new SpecDiagnostic(file, Math.Max(1, (int)at.Line), Math.Max(1, (int)at.Column), SpecCodes.YamlSyntax,
                "YAML syntax error: " + CleanYamlMessage(ex) + "."));
            return null;
        }
        catch (InvalidOperationException)
        {
            // Some malformed input (an unclosed flow list) fails without a position; find it with the event parser.
            var (at, message) = LocateSyntaxError(text);
            diagnostics.Add(new SpecDiagnostic(file, Math.Max(1, (int)at.Line), Math.Max(1, (int)at.Column), SpecCodes.YamlSyntax, "YAML syntax error: " + message + "."));
            return null;
        }
        if (stream.Documents.Count == 0) return new SpecMapping(SourceLocation.StartOf(file));
        if (stream.Documents.Count > 1)
        {
            var second = stream.Documents[1].RootNode.Start;
            diagnostics.Add(new SpecDiagnostic(file, (int)second.Line, (int)second.Column, SpecCodes.YamlSyntax,
                "a spec file holds one YAML document; remove the second '---' document or move it to its own file."));
        }
        return Convert(stream.Documents[0].RootNode, file);
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

    private static SpecNode Convert(YamlNode node, string file)
    {
        var at = new SourceLocation(file, (int)node.Start.Line, (int)node.Start.Column);
        switch (node)
        {
            case YamlMappingNode m:
                var mapping = new SpecMapping(at);
                foreach (var (key, value) in m.Children)
                {
                    var keyAt = new SourceLocation(file, (int)key.Start.Line, (int)key.Start.Column);
                    string keyText = key is YamlScalarNode ks ? ks.Value ?? "" : key.ToString();
                    mapping.Entries.Add(new(new SpecScalar(keyText, false, keyAt), Convert(value, file)));
                }
                return mapping;
            case YamlSequenceNode s:
                var sequence = new SpecSequence(at);
                foreach (var item in s.Children) sequence.Items.Add(Convert(item, file));
                return sequence;
            case YamlScalarNode sc:
                return new SpecScalar(sc.Value ?? "", sc.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded, at);
            default:
                return new SpecScalar(node.ToString(), false, at);
        }
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
