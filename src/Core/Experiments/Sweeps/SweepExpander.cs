using System.Globalization;
using MnistCnn.Core.Experiments.Spec;

namespace MnistCnn.Core.Experiments.Sweeps;

/// <summary>One setting a trial changes: a dotted path and the scalar node holding its value.</summary>
internal sealed record TrialOverride(string Path, SpecScalar Value, SourceLocation KeyLocation);

/// <summary>
/// Expands a <c>sweep:</c> section into trials. <c>grid</c>: the cartesian product of every parameter's list and
/// every <c>zip</c> group (first axis slowest). <c>random</c>: <c>trials</c> draws from lists, uniform or log-uniform
/// ranges and zip groups with a seeded generator. The same spec and seed always give the same trials in the same order.
/// </summary>
internal static class SweepExpander
{
    public const int MaxTrials = 10000;

    private abstract record Axis(SourceLocation KeyLocation);

    private sealed record ListAxis(string Path, List<SpecScalar> Values, SourceLocation KeyLocation) : Axis(KeyLocation);

    private sealed record RangeAxis(string Path, double Min, double Max, bool Log, bool Integer, SourceLocation At, SourceLocation KeyLocation) : Axis(KeyLocation);

    private sealed record ZipAxis(List<(string Path, List<SpecScalar> Values, SourceLocation KeyLocation)> Columns, int Length, SourceLocation KeyLocation) : Axis(KeyLocation);

    public static string Method(SpecNode sweep) =>
        sweep is SpecMapping m && m["method"] is SpecScalar { IsNull: false } s ? s.Value.ToLowerInvariant() : "grid";

    public static List<List<TrialOverride>>? Expand(SpecNode sweep, List<SpecDiagnostic> diagnostics)
    {
        int before = diagnostics.Count;
        void Report(SourceLocation at, string message) => diagnostics.Add(new SpecDiagnostic(at.File, at.Line, at.Column, SpecCodes.SweepInvalid, message));
        void ReportCode(SourceLocation at, string code, string message) => diagnostics.Add(new SpecDiagnostic(at.File, at.Line, at.Column, code, message));

        if (sweep is not SpecMapping m)
        {
            ReportCode(sweep.Location, SpecCodes.WrongType, $"sweep must be a mapping (method:, parameters:, zip:...), not {sweep.TypeName}.");
            return null;
        }
        foreach (var (key, _) in m.Entries)
        {
            if (SpecKeys.Sweep.Contains(key.Value)) continue;
            string? hint = SpecKeys.Suggest(key.Value, SpecKeys.Sweep);
            ReportCode(key.Location, SpecCodes.UnknownKey, $"unknown key '{key.Value}' in sweep" + (hint is null ? $"; known keys are {string.Join(", ", SpecKeys.Sweep)}." : $"; did you mean '{hint}'?"));
        }
        string method = Method(m);
        if (method is not "grid" and not "random")
        {
            string? hint = SpecKeys.Suggest(method, new[] { "grid", "random" });
            ReportCode(m["method"]!.Location, SpecCodes.UnknownValue, $"sweep.method '{method}' is not allowed{(hint is null ? "" : $"; did you mean '{hint}'?")} Use grid or random.");
            return null;
        }
        bool random = method == "random";

        int? trials = IntOf(m, "trials", "sweep.trials", 1, diagnostics);
        int seed = IntOf(m, "seed", "sweep.seed", int.MinValue, diagnostics) ?? 0;
        if (!random)
        {
            if (m.KeyNode("trials") is { } t) Report(t.Location, "sweep.trials applies only to method: random (a grid runs every combination).");
            if (m.KeyNode("seed") is { } s) Report(s.Location, "sweep.seed applies only to method: random (a grid has no randomness).");
        }
        else if (trials is null && m["trials"] is null)
        {
            ReportCode(m.Location, SpecCodes.MissingKey, "a random sweep needs 'trials': how many settings to draw.");
        }

        var axes = new List<Axis>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        bool CheckPath(SpecScalar key)
        {
            if (!SpecKeys.IsSettingPath(key.Value))
            {
                string? hint = SpecKeys.Suggest(key.Value, SpecKeys.SettingPaths());
                ReportCode(key.Location, SpecCodes.UnknownKey, $"sweep parameter '{key.Value}' is not a setting a sweep can vary" +
                    (hint is null ? "; use a dotted path such as training.learningRate or model.layers.5.rate." : $"; did you mean '{hint}'?"));
                return false;
            }
            if (!seen.Add(key.Value))
            {
                Report(key.Location, $"sweep parameter '{key.Value}' is listed twice; list each setting once.");
                return false;
            }
            return true;
        }

        switch (m["parameters"])
        {
            case null or SpecScalar { IsNull: true }:
                break;
            case SpecMapping parameters:
                foreach (var (key, value) in parameters.Entries)
                {
                    if (!CheckPath(key)) continue;
                    switch (value)
                    {
                        case SpecSequence { Items.Count: 0 }:
                            Report(value.Location, $"sweep parameter '{key.Value}' has an empty list; give at least one value.");
                            break;
                        case SpecSequence seq:
                            var values = Scalars(seq, key.Value, diagnostics);
                            if (values is not null) axes.Add(new ListAxis(key.Value, values, key.Location));
                            break;
                        case SpecMapping range:
                            if (!random)
                            {
                                Report(range.Location, $"sweep parameter '{key.Value}' is a range, which only a random sweep can draw from; list the values for a grid.");
                                break;
                            }
                            if (Range(key.Value, range, diagnostics) is { } r) axes.Add(r with { KeyLocation = key.Location });
                            break;
                        default:
                            ReportCode(value.Location, SpecCodes.WrongType, $"sweep parameter '{key.Value}' must be a list of values{(random ? " or a range { min, max, scale, type }" : "")}, not {value.TypeName}.");
                            break;
                    }
                }
                break;
            case var other:
                ReportCode(other.Location, SpecCodes.WrongType, $"sweep.parameters must be a mapping of setting paths to values, not {other.TypeName}.");
                break;
        }

        switch (m["zip"])
        {
            case null or SpecScalar { IsNull: true }:
                break;
            case SpecSequence groups:
                foreach (var group in groups.Items)
                {
                    if (group is not SpecMapping g || g.Entries.Count == 0)
                    {
                        ReportCode(group.Location, SpecCodes.WrongType, "each sweep.zip group must be a mapping of setting paths to equally long lists.");
                        continue;
                    }
                    var columns = new List<(string, List<SpecScalar>, SourceLocation)>();
                    foreach (var (key, value) in g.Entries)
                    {
                        if (!CheckPath(key)) continue;
                        if (value is not SpecSequence seq || seq.Items.Count == 0)
                        {
                            ReportCode(value.Location, SpecCodes.WrongType, $"zip entry '{key.Value}' must be a non-empty list of values.");
                            continue;
                        }
                        if (Scalars(seq, key.Value, diagnostics) is { } values) columns.Add((key.Value, values, key.Location));
                    }
                    if (columns.Count == 0) continue;
                    int length = columns[0].Item2.Count;
                    foreach (var (path, values, at) in columns.Skip(1))
                    {
                        if (values.Count != length)
                        {
                            Report(at, string.Create(CultureInfo.InvariantCulture, $"zip lists must be equally long: '{path}' has {values.Count} values but '{columns[0].Item1}' has {length}."));
                        }
                    }
                    axes.Add(new ZipAxis(columns, length, g.Location));
                }
                break;
            case var other:
                ReportCode(other.Location, SpecCodes.WrongType, $"sweep.zip must be a list of groups, not {other.TypeName}.");
                break;
        }

        if (axes.Count == 0 && diagnostics.Count == before)
        {
            Report(m.Location, "the sweep varies nothing; add sweep.parameters or sweep.zip (or remove the sweep section).");
        }
        if (diagnostics.Count > before) return null;

        var result = new List<List<TrialOverride>>();
        if (random)
        {
            var rng = new Random(seed);
            int count = trials ?? 1;
            if (count > MaxTrials)
            {
                Report(m["trials"]!.Location, $"sweep.trials {count} is more than {MaxTrials}.");
                return null;
            }
            for (int t = 0; t < count; t++)
            {
                var trial = new List<TrialOverride>();
                foreach (var axis in axes)
                {
                    switch (axis)
                    {
                        case ListAxis l:
                            trial.Add(new TrialOverride(l.Path, l.Values[rng.Next(l.Values.Count)], l.KeyLocation));
                            break;
                        case RangeAxis r:
                            trial.Add(new TrialOverride(r.Path, SpecScalar.FromValue(Draw(r, rng), r.At), r.KeyLocation));
                            break;
                        case ZipAxis z:
                            int i = rng.Next(z.Length);
                            trial.AddRange(z.Columns.Select(c => new TrialOverride(c.Path, c.Values[i], c.KeyLocation)));
                            break;
                    }
                }
                result.Add(trial);
            }
            return result;
        }

        long total = 1;
        foreach (var axis in axes)
        {
            total *= axis switch { ListAxis l => l.Values.Count, ZipAxis z => z.Length, _ => 1 };
            if (total > MaxTrials)
            {
                Report(m.Location, $"the grid has more than {MaxTrials} combinations; list fewer values or use method: random with a trial count.");
                return null;
            }
        }
        for (long n = 0; n < total; n++)
        {
            // Mixed-radix counter, last axis fastest.
            var trial = new List<TrialOverride>();
            long rest = n;
            var picks = new int[axes.Count];
            for (int a = axes.Count - 1; a >= 0; a--)
            {
                int size = axes[a] switch { ListAxis l => l.Values.Count, ZipAxis z => z.Length, _ => 1 };
                picks[a] = (int)(rest % size);
                rest /= size;
            }
            for (int a = 0; a < axes.Count; a++)
            {
                switch (axes[a])
                {
                    case ListAxis l:
                        trial.Add(new TrialOverride(l.Path, l.Values[picks[a]], l.KeyLocation));
                        break;
                    case ZipAxis z:
                        trial.AddRange(z.Columns.Select(c => new TrialOverride(c.Path, c.Values[picks[a]], c.KeyLocation)));
                        break;
                }
            }
            result.Add(trial);
        }
        return result;
    }

    private static object Draw(RangeAxis r, Random rng)
    {
        double u = rng.NextDouble();
        if (r.Integer)
        {
            double lo = r.Log ? Math.Log(r.Min) : r.Min, hi = r.Log ? Math.Log(r.Max + 1) : r.Max + 1;
            double x = lo + (u * (hi - lo));
            long v = (long)Math.Floor(r.Log ? Math.Exp(x) : x);
            return Math.Clamp(v, (long)r.Min, (long)r.Max);
        }
        double value = r.Log ? Math.Exp(Math.Log(r.Min) + (u * (Math.Log(r.Max) - Math.Log(r.Min)))) : r.Min + (u * (r.Max - r.Min));
        // Four significant digits keep trial ids and logs readable; the drawn value is what the trial uses.
        return double.Parse(value.ToString("G4", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    }

    private static RangeAxis? Range(string path, SpecMapping range, List<SpecDiagnostic> diagnostics)
    {
        int before = diagnostics.Count;
        void Report(SourceLocation at, string code, string message) => diagnostics.Add(new SpecDiagnostic(at.File, at.Line, at.Column, code, message));
        foreach (var (key, _) in range.Entries)
        {
            if (SpecKeys.SweepRange.Contains(key.Value)) continue;
            string? hint = SpecKeys.Suggest(key.Value, SpecKeys.SweepRange);
            Report(key.Location, SpecCodes.UnknownKey, $"unknown key '{key.Value}' in the range of '{path}'" + (hint is null ? "; a range takes min, max, scale (linear or log) and type (float or int)." : $"; did you mean '{hint}'?"));
        }
        double? Num(string key)
        {
            var node = range[key];
            if (node is null)
            {
                Report(range.Location, SpecCodes.MissingKey, $"the range of '{path}' needs '{key}'.");
                return null;
            }
            if (node is SpecScalar { Quoted: false } s && SpecScalar.TryParseDouble(s.Value, out double d) && double.IsFinite(d)) return d;
            Report(node.Location, SpecCodes.WrongType, $"'{key}' of the range of '{path}' must be a number.");
            return null;
        }
        string Word(string key, string fallback, params string[] allowed)
        {
            if (range[key] is not SpecScalar { IsNull: false } s) return fallback;
            string v = s.Value.ToLowerInvariant();
            if (allowed.Contains(v)) return v;
            Report(s.Location, SpecCodes.UnknownValue, $"'{key}' of the range of '{path}' must be one of {string.Join(", ", allowed)} (got '{s.Value}').");
            return fallback;
        }
        double? min = Num("min"), max = Num("max");
        bool log = Word("scale", "linear", "linear", "log") == "log";
        bool integer = Word("type", "float", "float", "int") == "int";
        if (min is { } lo && max is { } hi)
        {
            if (!(lo < hi)) Report(range.Location, SpecCodes.OutOfRange, string.Create(CultureInfo.InvariantCulture, $"the range of '{path}' needs min below max (got {lo} .. {hi})."));
            if (log && lo <= 0) Report(range["min"]!.Location, SpecCodes.OutOfRange, $"a log-scale range of '{path}' needs min above 0.");
            if (integer && (lo != Math.Floor(lo) || hi != Math.Floor(hi))) Report(range.Location, SpecCodes.WrongType, $"an int range of '{path}' needs whole-number min and max.");
        }
        if (diagnostics.Count > before || min is null || max is null) return null;
        return new RangeAxis(path, min.Value, max.Value, log, integer, range.Location, range.Location);
    }

    private static List<SpecScalar>? Scalars(SpecSequence seq, string path, List<SpecDiagnostic> diagnostics)
    {
        var values = new List<SpecScalar>();
        foreach (var item in seq.Items)
        {
            if (item is SpecScalar s) values.Add(s);
            else diagnostics.Add(new SpecDiagnostic(item.Location.File, item.Location.Line, item.Location.Column, SpecCodes.WrongType,
                $"the values of sweep parameter '{path}' must be single values (numbers, text, true/false), not {item.TypeName}."));
        }
        return values.Count == seq.Items.Count ? values : null;
    }

    private static int? IntOf(SpecMapping m, string key, string path, int min, List<SpecDiagnostic> diagnostics)
    {
        if (m[key] is not { } node || node is SpecScalar { IsNull: true }) return null;
        if (node is SpecScalar { Quoted: false } s && int.TryParse(s.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int v))
        {
            if (v >= min) return v;
            diagnostics.Add(new SpecDiagnostic(node.Location.File, node.Location.Line, node.Location.Column, SpecCodes.OutOfRange,
                string.Create(CultureInfo.InvariantCulture, $"{path} must be at least {min} (got {v}).")));
            return null;
        }
        diagnostics.Add(new SpecDiagnostic(node.Location.File, node.Location.Line, node.Location.Column, SpecCodes.WrongType, $"{path} must be a whole number."));
        return null;
    }
}
