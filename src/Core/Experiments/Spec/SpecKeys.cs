using MnistCnn.Core.Models;
using MnistCnn.Core.Training.Settings;

namespace MnistCnn.Core.Experiments.Spec;

/// <summary>
/// Every key the experiment-spec format knows, by section. The binder rejects anything else (with a did-you-mean
/// suggestion) and a test checks that experiments/mnistcnn-experiment.schema.json declares exactly these keys.
/// </summary>
public static class SpecKeys
{
    public static readonly IReadOnlyList<string> Root = new[] { "extends", "name", "description", "data", "model", "training", "tracking", "outputs", "sweep" };
    /// <summary><c>data</c>: where the images come from, plus the catalog's data settings (validationSplit, augmentation).</summary>
    public static readonly IReadOnlyList<string> Data = new[] { "dataset", "path", "trainSubset", "testSubset" }.Concat(TrainingSettingsCatalog.KeysOf("data")).ToArray();
    /// <summary>Keys of <c>data.augmentation</c> when it is a mapping (it may also be true or false).</summary>
    public static readonly IReadOnlyList<string> Augmentation = TrainingSettingsCatalog.KeysOf("data.augmentation");
    public static readonly IReadOnlyList<string> Model = new[] { "preset", "name", "layers" };
    /// <summary><c>training</c>, <c>training.schedule</c> and <c>training.earlyStopping</c>: the settings catalog's keys.</summary>
    public static readonly IReadOnlyList<string> Training = TrainingSettingsCatalog.KeysOf("training");
    public static readonly IReadOnlyList<string> Schedule = TrainingSettingsCatalog.KeysOf("training.schedule");
    public static readonly IReadOnlyList<string> EarlyStopping = TrainingSettingsCatalog.KeysOf("training.earlyStopping");
    public static readonly IReadOnlyList<string> Tracking = new[] { "experiment", "tags", "trackingUri" };
    public static readonly IReadOnlyList<string> Outputs = new[] { "root", "pictures" };
    public static readonly IReadOnlyList<string> Sweep = new[] { "method", "parameters", "zip", "trials", "seed" };
    /// <summary>Keys of a random-sweep range: <c>{ min, max, scale: linear|log, type: float|int }</c>.</summary>
    public static readonly IReadOnlyList<string> SweepRange = new[] { "min", "max", "scale", "type" };

    /// <summary>Keys each layer type takes, by canonical type name (from <see cref="LayerFactory"/>).</summary>
    public static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> Layers =
        LayerFactory.Kinds.ToDictionary(k => k.Name, k => k.SpecKeys, StringComparer.Ordinal);

    /// <summary>Layer type spellings accepted in specs (Keras names and short forms), to canonical names (from <see cref="LayerFactory"/>).</summary>
    public static readonly IReadOnlyDictionary<string, string> LayerAliases =
        LayerFactory.BySpelling.ToDictionary(kv => kv.Key, kv => kv.Value.Name, StringComparer.OrdinalIgnoreCase);

    /// <summary>Every key as a dotted path (layers as <c>model.layers[conv2d].filters</c>), for schema agreement checks.</summary>
    public static IEnumerable<string> AllPaths()
    {
        foreach (var k in Root) yield return k;
        foreach (var k in Data) yield return "data." + k;
        foreach (var k in Augmentation) yield return "data.augmentation." + k;
        foreach (var k in Model) yield return "model." + k;
        foreach (var k in Training) yield return "training." + k;
        foreach (var k in Schedule) yield return "training.schedule." + k;
        foreach (var k in EarlyStopping) yield return "training.earlyStopping." + k;
        foreach (var k in Tracking) yield return "tracking." + k;
        foreach (var k in Outputs) yield return "outputs." + k;
        foreach (var k in Sweep) yield return "sweep." + k;
        foreach (var k in SweepRange) yield return "sweep.parameters.*." + k;
        foreach (var (type, keys) in Layers)
        {
            foreach (var k in keys) yield return $"model.layers[{type}].{k}";
        }
    }

    /// <summary>Keys a sweep may vary (dotted paths of scalar settings); layer arguments are addressed as model.layers.N.key.</summary>
    public static bool IsSettingPath(string path)
    {
        string[] parts = path.Split('.');
        return parts switch
        {
            ["name" or "description"] => true,
            ["data", var k] => Data.Contains(k),
            ["data", "augmentation", var k] => Augmentation.Contains(k),
            ["model", var k] => k is "preset" or "name",
            ["model", "layers", var n, var k] => int.TryParse(n, out _) && Layers.Values.Any(l => l.Contains(k)),
            ["training", "schedule", var k] => Schedule.Contains(k),
            ["training", "earlyStopping", var k] => EarlyStopping.Contains(k),
            ["training", var k] => Training.Contains(k) && k is not "schedule" and not "earlyStopping",
            ["tracking", var k] => k is "experiment" or "trackingUri",
            ["outputs", var k] => Outputs.Contains(k),
            _ => false,
        };
    }

    /// <summary>Every settable dotted path (for suggestions).</summary>
    public static IEnumerable<string> SettingPaths() =>
        new[] { "name", "description" }
            .Concat(Data.Select(k => "data." + k))
            .Concat(Augmentation.Select(k => "data.augmentation." + k))
            .Concat(new[] { "model.preset", "model.name" })
            .Concat(Training.Where(k => k is not "schedule" and not "earlyStopping").Select(k => "training." + k))
            .Concat(Schedule.Select(k => "training.schedule." + k))
            .Concat(EarlyStopping.Select(k => "training.earlyStopping." + k))
            .Concat(new[] { "tracking.experiment", "tracking.trackingUri" })
            .Concat(Outputs.Select(k => "outputs." + k));

    /// <summary>The closest candidate by edit distance (case-insensitive), when it is close enough to be a likely typo.</summary>
    public static string? Suggest(string word, IEnumerable<string> candidates)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (var c in candidates)
        {
            int d = EditDistance(word.ToLowerInvariant(), c.ToLowerInvariant());
            if (d < bestDistance) { best = c; bestDistance = d; }
        }
        if (best is null) return null;
        int allowed = Math.Max(2, Math.Min(word.Length, best.Length) / 3);
        return bestDistance <= allowed ? best : null;
    }

    /// <summary>Levenshtein distance (insert, delete, substitute) plus adjacent transpositions.</summary>
    public static int EditDistance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        }
        return d[a.Length, b.Length];
    }
}
