using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Experiments.Spec;
using MnistCnn.Core.Experiments.Sweeps;

namespace MnistCnn.Core.Experiments.Running;

/// <summary>
/// The file a parent process writes for each worker: the worker's one trial already resolved (extends and sweep
/// applied: its resolved YAML, index, count, id, name and swept settings) and what the records need of the whole
/// experiment (spec path, files, method, sweep id). The worker binds the resolved YAML; it does not read the spec,
/// its extends chain or its sweep again. Given to Invoke-CnnExperiment -Path, like a spec; named *.trial.json.
/// </summary>
public static class TrialFile
{
    /// <summary>How a trial file's name ends.</summary>
    public const string Extension = ".trial.json";
    private const string Format = "mnistcnn.trial/1";

    /// <summary>True when <paramref name="path"/> names a trial file (by its name), not a spec.</summary>
    public static bool IsTrialFile(string path) => path.EndsWith(Extension, StringComparison.OrdinalIgnoreCase);

    /// <summary>A trial file's plan when <paramref name="path"/> names one, else the spec's (<see cref="ExperimentPlan.Load"/>).</summary>
    public static ExperimentPlan LoadPlan(string path) => IsTrialFile(path) ? Read(path) : ExperimentPlan.Load(path);

    /// <summary>Writes the trial file of <paramref name="trial"/> into <paramref name="folder"/> and returns its path.</summary>
    public static string Write(ExperimentPlan plan, ExperimentTrial trial, string folder)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(trial);
        var settings = new JsonArray();
        foreach (var (key, value) in trial.Settings)
        {
            settings.Add(new JsonObject
            {
                ["path"] = key,
                ["type"] = value switch { null => "null", long => "long", double => "double", bool => "bool", _ => "string" },
                ["value"] = value switch { null => null, double d => d.ToString("R", CultureInfo.InvariantCulture), bool b => b ? "true" : "false", _ => Convert.ToString(value, CultureInfo.InvariantCulture) },
            });
        }
        var json = new JsonObject
        {
            ["format"] = Format,
            ["spec"] = plan.SpecPath,
            ["files"] = new JsonArray(plan.Files.Select(f => (JsonNode?)f).ToArray()),
            ["method"] = plan.Method,
            ["sweepId"] = plan.SweepId,
            ["index"] = trial.Index,
            ["count"] = trial.Count,
            ["id"] = trial.Id,
            ["name"] = trial.Name,
            ["settings"] = settings,
            ["resolvedYaml"] = trial.ResolvedYaml,
        };
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, string.Create(CultureInfo.InvariantCulture, $"trial-{trial.Index}{Extension}"));
        File.WriteAllText(path, json.ToJsonString());
        return path;
    }

    /// <summary>Reads a trial file into a worker's plan (<see cref="ExperimentPlan.IsPart"/>); a broken one is a TrialFileInvalid error.</summary>
    public static ExperimentPlan Read(string path)
    {
        string full = Path.GetFullPath(path);
        JsonObject json;
        try
        {
            long length = new FileInfo(full).Length;
            // The resolved YAML is bounded by the spec limit; the rest is a few hundred bytes.
            if (length > 2 * SpecLimits.Default.MaxFileBytes) throw Invalid(full, string.Create(CultureInfo.InvariantCulture, $"it is {length} bytes, more than a trial file can hold"));
            json = JsonNode.Parse(File.ReadAllText(full)) as JsonObject ?? throw Invalid(full, "it does not hold a JSON object");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new MnistCnnException(ExperimentsErrorIds.TrialFileInvalid, ex is FileNotFoundException or DirectoryNotFoundException ? ErrorKind.ObjectNotFound : ErrorKind.InvalidData,
                $"The trial file '{full}' cannot be read ({ex.Message}). Trial files are written by Invoke-CnnExperiment -ThrottleLimit for its workers; run the spec itself instead.", full, ex);
        }
        catch (JsonException ex)
        {
            throw Invalid(full, "it is not valid JSON: " + ex.Message);
        }
        try
        {
            if ((string?)json["format"] != Format) throw Invalid(full, $"its format is not {Format}");
            string specPath = Text(json, "spec", full);
            var files = (json["files"] as JsonArray ?? throw Invalid(full, "'files' is missing")).Select(f => (string?)f ?? throw Invalid(full, "'files' holds a null")).ToList();
            int index = (int?)json["index"] ?? throw Invalid(full, "'index' is missing");
            int count = (int?)json["count"] ?? throw Invalid(full, "'count' is missing");
            if (index < 0 || count < 1 || index >= count) throw Invalid(full, string.Create(CultureInfo.InvariantCulture, $"trial index {index} is not one of {count} trials"));
            var settings = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var entry in json["settings"] as JsonArray ?? throw Invalid(full, "'settings' is missing"))
            {
                settings[Text(entry, "path", full)] = Setting(entry!, full);
            }
            string yaml = Text(json, "resolvedYaml", full);
            var diagnostics = new List<SpecDiagnostic>();
            var spec = SpecYaml.Parse(yaml, full, diagnostics) is SpecMapping root ? new SpecBinder(specPath, diagnostics).Bind(root) : null;
            if (spec is null || diagnostics.Count > 0)
            {
                throw Invalid(full, "its resolved spec does not bind: " + string.Join(" ", diagnostics.Take(3).Select(d => d.Message)));
            }
            var trial = ExperimentPlan.Trial(index, count, Text(json, "id", full), (string?)json["name"] ?? "", settings, spec, yaml);
            return ExperimentPlan.PartOf(specPath, files, (string?)json["method"], Text(json, "sweepId", full), trial);
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or OverflowException)
        {
            // A value of the wrong JSON type.
            throw Invalid(full, ex.Message);
        }
    }

    private static object? Setting(JsonNode entry, string file)
    {
        string? value = (string?)entry["value"];
        string type = (string?)entry["type"] ?? "";
        if (type == "null") return null;
        if (value is null) throw Invalid(file, "a setting has no value");
        return type switch
        {
            "long" => long.Parse(value, NumberStyles.Integer, CultureInfo.InvariantCulture),
            "double" => double.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture),
            "bool" => value == "true",
            "string" => value,
            _ => throw Invalid(file, $"a setting has the unknown type '{type}'"),
        };
    }

    private static string Text(JsonNode? node, string key, string file) =>
        (string?)node?[key] is { Length: > 0 } s ? s : throw Invalid(file, $"'{key}' is missing or empty");

    private static MnistCnnException Invalid(string file, string why) => new(ExperimentsErrorIds.TrialFileInvalid, ErrorKind.InvalidData,
        $"The trial file '{file}' cannot be used: {why}. Trial files are written by Invoke-CnnExperiment -ThrottleLimit for its workers; run the spec itself instead.", file);
}
