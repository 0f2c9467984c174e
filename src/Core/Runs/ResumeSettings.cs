using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using MnistCnn.Core.Data;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Models;
using MnistCnn.Core.Training;

namespace MnistCnn.Core.Runs;

/// <summary>
/// Decides the settings of a resumed run: everything comes from the checkpoint (architecture, optimizer and its
/// settings, learning rate and schedule, batch size, validation split, early stopping, seed, data); what the caller
/// gives again must agree with it, except <see cref="TrainingOptions.Epochs"/>, which may extend the run, and the
/// settings that do not change what is computed (<see cref="Free"/>: device, threads, output folder, pictures,
/// checkpointing). Every disagreement is listed in one <see cref="RunsErrorIds.ResumeSettingsConflict"/> error.
/// </summary>
public static class ResumeSettings
{
    /// <summary>Settings a resume may change freely.</summary>
    public static readonly IReadOnlySet<string> Free = new HashSet<string>(StringComparer.Ordinal)
    {
        nameof(TrainingOptions.Device), nameof(TrainingOptions.Threads), nameof(TrainingOptions.OutputPath),
        nameof(TrainingOptions.Report), nameof(TrainingOptions.Checkpoint),
    };

    /// <summary>The name that stands for the architecture among the given settings (a resume compares the model only when it is given).</summary>
    public const string Model = "Model";

    private static readonly PropertyInfo[] Settings = typeof(TrainingOptions)
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.CanWrite && !Free.Contains(p.Name))
        .ToArray();

    /// <summary>
    /// The spec and options to continue <paramref name="checkpoint"/> with. <paramref name="given"/> names the settings
    /// the caller stated (TrainingOptions property names, plus <see cref="Model"/>); null means every setting and the
    /// model were stated (a spec file, a Core caller) and all must agree.
    /// </summary>
    public static (ModelSpec Spec, TrainingOptions Options) Reconcile(RunCheckpoint checkpoint, ModelSpec spec, TrainingOptions options, MnistDataset data, IReadOnlySet<string>? given)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(data);
        bool Given(string name) => given is null || given.Contains(name);
        var problems = new List<string>();

        if (Given(Model) && !SameJson(SpecJson.ToJson(checkpoint.Spec), SpecJson.ToJson(spec)))
        {
            problems.Add($"the model: the run trained '{checkpoint.Spec.Name}' ({Describe(checkpoint.Spec)}), now '{spec.Name}' ({Describe(spec)}) is given; leave the model out to continue with the saved one");
        }

        var saved = checkpoint.Options;
        var resolved = options;
        if (saved is not null)
        {
            resolved = saved with
            {
                OutputPath = options.OutputPath, Device = options.Device, Threads = options.Threads,
                Report = options.Report, Checkpoint = options.Checkpoint,
            };
            foreach (var p in Settings)
            {
                if (p.Name is nameof(TrainingOptions.Epochs) or nameof(TrainingOptions.Seed) || !Given(p.Name)) continue;
                var then = JsonSerializer.SerializeToNode(p.GetValue(saved), SpecJson.Options);
                var now = JsonSerializer.SerializeToNode(p.GetValue(options), SpecJson.Options);
                if (!SameJson(then, now)) problems.Add($"{p.Name}: the run used {Show(then)}, now {Show(now)}");
            }
        }
        if (options.Seed is { } seed && seed != checkpoint.Seed && Given(nameof(TrainingOptions.Seed)))
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"Seed: the run used {checkpoint.Seed}, now {seed}"));
        }
        resolved = resolved with { Seed = checkpoint.Seed };

        int epochs = Given(nameof(TrainingOptions.Epochs)) ? options.Epochs : saved?.Epochs ?? options.Epochs;
        if (epochs < checkpoint.CompletedEpochs)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"Epochs: the run already finished {checkpoint.CompletedEpochs} epochs, so it cannot stop after {epochs}; give at least {checkpoint.CompletedEpochs}"));
        }
        resolved = resolved with { Epochs = epochs };

        if (checkpoint.Data is { } d)
        {
            if (!string.Equals(d.Name, data.Name, StringComparison.Ordinal)) problems.Add($"the data: the run trained on {d.Name}, now {data.Name}");
            if (d.Train != data.Train.Count || d.Test != data.Test.Count)
            {
                problems.Add(string.Create(CultureInfo.InvariantCulture, $"the data subset: the run had {d.Train} training and {d.Test} test images, now {data.Train.Count} and {data.Test.Count}"));
            }
            foreach (var (file, sum) in d.Checksums)
            {
                if (data.Checksums.TryGetValue(file, out var now) && !string.Equals(now, sum, StringComparison.OrdinalIgnoreCase))
                {
                    problems.Add($"the data file {file}: its SHA-256 was {Short(sum)}, now {Short(now)}");
                }
            }
        }

        if (problems.Count > 0)
        {
            throw new MnistCnnException(RunsErrorIds.ResumeSettingsConflict, ErrorKind.InvalidArgument,
                $"Cannot resume run {checkpoint.RunName} from '{checkpoint.Folder}' with different settings ({problems.Count}): " +
                string.Join("; ", problems) + ". A resumed run keeps the settings it started with (only -Epochs may grow): " +
                "leave the other settings out, or start a new run in another folder.", checkpoint.Folder);
        }
        return (checkpoint.Spec, resolved);
    }

    private static bool SameJson(JsonNode? a, JsonNode? b) => JsonNode.DeepEquals(a, b);

    private static string Show(JsonNode? value) => value is null ? "(not set)" : value.ToJsonString();

    private static string Short(string sum) => sum.Length > 12 ? sum[..12] + "..." : sum;

    private static string Describe(ModelSpec spec) =>
        string.Create(CultureInfo.InvariantCulture, $"{spec.Layers.Count} layers, {spec.Summarize().Sum(r => r.Parameters):N0} parameters");
}
