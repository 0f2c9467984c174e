using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Models;
using MnistCnn.Core.Training;
using TorchSharp.Modules;

namespace MnistCnn.Core.Runs;

/// <summary>
/// The state after a finished epoch, enough to continue the run exactly: the weights, the optimizer's state, early
/// stopping's best loss and weights, the epochs so far, and everything that decided the run (settings with the seed,
/// architecture, data and its checksums, run id, name and start time). Written atomically into
/// <see cref="RunFiles.Checkpoint"/> after every epoch (the previous one stays until the new one is whole).
/// </summary>
public sealed class RunCheckpoint
{
    public const int FormatVersion = 2;
    public const string StateFile = "state.json";
    public const string WeightsFile = "weights.bin";
    public const string OptimizerFile = "optimizer.bin";
    public const string BestFile = "best-weights.bin";

    public required string Folder { get; init; }
    public required string RunId { get; init; }
    public required string RunName { get; init; }
    public required ModelSpec Spec { get; init; }
    public required int Seed { get; init; }
    public required List<EpochResult> Epochs { get; init; }
    public int CompletedEpochs => Epochs.Count;
    public double BestLoss { get; init; } = double.PositiveInfinity;
    public int BestEpoch { get; init; } = -1;
    /// <summary>The run's settings (null in checkpoints written before format 2).</summary>
    public TrainingOptions? Options { get; init; }
    public DateTimeOffset? StartTime { get; init; }
    /// <summary>The data the run trained on (null before format 2).</summary>
    public CheckpointData? Data { get; init; }

    /// <summary>Writes the checkpoint of <paramref name="run"/> after its last epoch in <paramref name="epochs"/>.</summary>
    public static void Write(string runFolder, RunStartInfo run, IReadOnlyList<EpochResult> epochs, CnnModel network, OptimizerHelper optimizer, BestWeights best)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(epochs);
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(best);
        IO.AtomicFolder.Write(Path.Combine(runFolder, RunFiles.Checkpoint), temp =>
        {
            network.save(Path.Combine(temp, WeightsFile));
            optimizer.save_state_dict(Path.Combine(temp, OptimizerFile));
            if (best.HasWeights) best.Save(Path.Combine(temp, BestFile));
            var state = new JsonObject
            {
                ["format"] = "mnistcnn-checkpoint",
                ["formatVersion"] = FormatVersion,
                ["runId"] = run.RunId,
                ["runName"] = run.RunName,
                ["startTime"] = run.StartTime.ToString("o", CultureInfo.InvariantCulture),
                ["seed"] = run.Options.Seed,
                ["completedEpochs"] = epochs.Count,
                ["bestLoss"] = double.IsFinite(best.Loss) ? best.Loss : null,
                ["bestEpoch"] = best.Epoch,
                ["settings"] = JsonSerializer.SerializeToNode(run.Options with { OutputPath = null }, SpecJson.Options),
                ["data"] = new JsonObject
                {
                    ["name"] = run.Dataset,
                    ["train"] = run.TrainCount + run.ValidationCount,
                    ["test"] = run.TestCount,
                    ["checksums"] = new JsonObject(run.DataChecksums.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
                },
                ["model"] = SpecJson.ToJson(run.Model),
                ["epochs"] = JsonSerializer.SerializeToNode(epochs, SpecJson.Options),
            };
            using var stream = new FileStream(Path.Combine(temp, StateFile), FileMode.CreateNew, FileAccess.Write);
            stream.Write(System.Text.Encoding.UTF8.GetBytes(state.ToJsonString(SpecJson.Options)));
            stream.Flush(flushToDisk: true);
        });
    }

    /// <summary>The checkpoint folder in a run folder or checkpoint folder, or null when there is none.</summary>
    public static string? Find(string path)
    {
        var full = Path.GetFullPath(path);
        foreach (var candidate in new[] { full, Path.Combine(full, RunFiles.Checkpoint), Path.Combine(full, RunFiles.Checkpoint + IO.AtomicFolder.OldSuffix) })
        {
            if (File.Exists(Path.Combine(candidate, StateFile))) return candidate;
        }
        return null;
    }

    /// <summary>Reads a checkpoint from a run folder or a checkpoint folder; damaged or missing files give <see cref="RunsErrorIds.CheckpointInvalid"/> naming the file.</summary>
    public static RunCheckpoint Read(string path)
    {
        string folder = Find(path) ?? throw new MnistCnnException(RunsErrorIds.CheckpointNotFound, ErrorKind.ObjectNotFound,
            $"No checkpoint in '{path}'. Pass the run folder given to -OutputPath (it holds {RunFiles.Checkpoint}/{StateFile}).", path);
        string statePath = Path.Combine(folder, StateFile);
        RunCheckpoint checkpoint;
        try
        {
            var state = JsonNode.Parse(File.ReadAllText(statePath))!;
            checkpoint = new RunCheckpoint
            {
                Folder = folder,
                RunId = (string)state["runId"]!,
                RunName = (string)state["runName"]!,
                Seed = (int)state["seed"]!,
                Spec = SpecJson.FromJson(state["model"]!),
                Epochs = state["epochs"].Deserialize<List<EpochResult>>(SpecJson.Options) ?? new List<EpochResult>(),
                BestLoss = (double?)state["bestLoss"] ?? double.PositiveInfinity,
                BestEpoch = (int?)state["bestEpoch"] ?? -1,
                Options = state["settings"]?.Deserialize<TrainingOptions>(SpecJson.Options),
                StartTime = DateTimeOffset.TryParse((string?)state["startTime"], CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var st) ? st : null,
                Data = state["data"] is JsonObject d ? new CheckpointData(
                    (string)d["name"]!, (int)d["train"]!, (int)d["test"]!,
                    (d["checksums"] as JsonObject ?? []).ToDictionary(kv => kv.Key, kv => (string?)kv.Value ?? "", StringComparer.Ordinal)) : null,
            };
            if (checkpoint.Epochs.Count != ((int?)state["completedEpochs"] ?? checkpoint.Epochs.Count))
            {
                throw new FormatException("completedEpochs does not match the epochs listed");
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or NullReferenceException or FormatException or ArgumentException or KeyNotFoundException or IOException)
        {
            throw Invalid(statePath, ex.Message, ex);
        }
        foreach (var required in new[] { WeightsFile, OptimizerFile })
        {
            var file = Path.Combine(folder, required);
            if (!File.Exists(file)) throw Invalid(file, "the file is missing", null);
        }
        return checkpoint;
    }

    /// <summary>Loads the weights, the optimizer's state and early stopping's state; a damaged file gives <see cref="RunsErrorIds.CheckpointInvalid"/> naming it.</summary>
    public void Restore(CnnModel network, OptimizerHelper optimizer, BestWeights best)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(best);
        Load(WeightsFile, file => network.load(file));
        Load(OptimizerFile, file => optimizer.load_state_dict(file));
        best.Loss = BestLoss;
        best.Epoch = BestEpoch;
        var bestPath = Path.Combine(Folder, BestFile);
        if (File.Exists(bestPath))
        {
            using var scratch = new CnnModel(Spec);
            Load(BestFile, file => scratch.load(file));
            best.Capture(scratch);
        }
    }

    private void Load(string name, Action<string> load)
    {
        var file = Path.Combine(Folder, name);
        try
        {
            load(file);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException and not MnistCnnException)
        {
            throw Invalid(file, ex.Message, ex);
        }
    }

    private static MnistCnnException Invalid(string file, string why, Exception? inner) =>
        new(RunsErrorIds.CheckpointInvalid, ErrorKind.InvalidData,
            $"The checkpoint file '{file}' is damaged ({why}). Resume from an intact run folder, or start the run again (a new -OutputPath).", file, inner);
}

/// <summary>The data a checkpointed run trained on: name, training images (with validation), test images, checksums.</summary>
public sealed record CheckpointData(string Name, int Train, int Test, IReadOnlyDictionary<string, string> Checksums);
