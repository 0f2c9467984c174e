using System.Globalization;

namespace MnistCnn.Bench;

/// <summary>Minimal "--name value" / "--flag" command-line options (the bench has no other dependencies).</summary>
internal sealed class Options
{
    private readonly Dictionary<string, string?> values = new(StringComparer.OrdinalIgnoreCase);

    public Options(IEnumerable<string> args)
    {
        string? pending = null;
        foreach (var arg in args)
        {
            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                if (pending is not null) values[pending] = null;
                pending = arg[2..];
            }
            else if (pending is not null)
            {
                values[pending] = arg;
                pending = null;
            }
            else
            {
                throw new ArgumentException($"Unexpected argument '{arg}'.");
            }
        }
        if (pending is not null) values[pending] = null;
    }

    public IReadOnlyDictionary<string, string?> All => values;

    public bool Has(string name) => values.ContainsKey(name);

    public string Text(string name, string fallback) => values.TryGetValue(name, out var v) && v is not null ? v : fallback;

    public string? Text(string name) => values.TryGetValue(name, out var v) ? v : null;

    public int Int(string name, int fallback) => values.TryGetValue(name, out var v) && v is not null ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

    public double Double(string name, double fallback) => values.TryGetValue(name, out var v) && v is not null ? double.Parse(v, CultureInfo.InvariantCulture) : fallback;

    public int[] Ints(string name, int[] fallback) => values.TryGetValue(name, out var v) && v is not null
        ? v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray()
        : fallback;
}
