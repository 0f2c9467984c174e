using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using YamlDotNet.Core;

namespace MnistCnn.Core.Experiments.Spec;

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
