using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using MnistCnn.Core.Backends;
using MnistCnn.Core.Data;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Experiments.Spec;
using MnistCnn.Core.Experiments.Sweeps;
using MnistCnn.Core.Models;
using MnistCnn.Core.Prediction;
using MnistCnn.Core.Runs;
using MnistCnn.Core.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MnistCnn.GpuCheck;

/// <summary>
/// Runs the GPU check's steps in order (environment, placement, tutorial, evaluate, predict, save-load, fast,
/// layout), each timed and recorded as passed, failed (with the error) or skipped (with the reason). A failed step
/// never stops the later ones unless they need its result; the summary is rewritten after every step, so what was
/// measured survives a crash or a timeout.
/// </summary>
internal sealed class CheckRunner
{
    public const string SummaryFile = "gpu-check.json";

    /// <summary>Predictions two ways of computing them may disagree on (GPU kernels differ by batch size and input path).</summary>
    public const double MaxDisagreement = 0.001;

    /// <summary>Largest difference of a class probability between the model on the device and its saved copy loaded on the CPU.</summary>
    public const double MaxProbabilityDifference = 1e-3;

    private readonly CheckOptions options;
    private readonly TextWriter log;
    private readonly JsonArray checks = new();
    private readonly JsonObject figures = new();
    private Device device = CPU;
    private TrainedModel? tutorial;
    private EvaluationResult? reference;

    public CheckRunner(CheckOptions options, TextWriter log)
    {
        this.options = options ?? throw new ArgumentNullException(nameof(options));
        this.log = log ?? throw new ArgumentNullException(nameof(log));
        Summary = new JsonObject
        {
            ["tool"] = "MnistCnn.GpuCheck",
            ["startedAt"] = DateTimeOffset.UtcNow.ToString("o", CultureInfo.InvariantCulture),
            ["options"] = OptionsJson(options),
            ["checks"] = checks,
            ["figures"] = figures,
        };
    }

    /// <summary>The machine-readable summary (written to <see cref="SummaryFile"/> in the output folder as it grows).</summary>
    public JsonObject Summary { get; }

    public IEnumerable<(string Name, string Status)> Results =>
        checks.Select(c => ((string)c!["name"]!, (string)c["status"]!));

    /// <summary>Runs every step on <paramref name="data"/>; true when none failed.</summary>
    public bool Run(MnistDataset data, LibTorchPreloader.Loaded? libtorch)
    {
        ArgumentNullException.ThrowIfNull(data);
        Directory.CreateDirectory(options.OutputFolder);
        if (options.TrainLimit is not null || options.TestLimit is not null)
        {
            data = data.Subset(Math.Min(options.TrainLimit ?? data.Train.Count, data.Train.Count), Math.Min(options.TestLimit ?? data.Test.Count, data.Test.Count));
        }
        // --threads holds for this run only: an in-process caller (the tests) gets its thread count back.
        int threadsBefore = get_num_threads();
        if (options.Threads is { } threads) set_num_threads(threads);
        try
        {
            bool ready = Step("environment", () => Environment(data, libtorch));
            if (!ready)
            {
                foreach (var name in new[] { "placement", "tutorial", "evaluate", "predict", "save-load", "fast", "layout" })
                {
                    Skip(name, "the device is not usable (see the environment step)");
                }
            }
            else
            {
                Step("placement", () => Placement(data));
                bool trained = Step("tutorial", () => Tutorial(data));
                foreach (var (name, body) in new (string, Func<JsonObject>)[]
                {
                    ("evaluate", () => Evaluate(data)),
                    ("predict", () => Predict(data)),
                    ("save-load", () => SaveAndLoad(data)),
                })
                {
                    if (trained) Step(name, body);
                    else Skip(name, "the tutorial recipe did not train (see the tutorial step)");
                }
                Step("fast", () => Fast(data));
                if (options.LayoutBatches > 0) Step("layout", () => Layout(data));
                else Skip("layout", "--layout-batches 0");
            }
        }
        finally
        {
            tutorial?.Dispose();
            tutorial = null;
            if (options.Threads is not null) set_num_threads(threadsBefore);
        }
        var failed = checks.Where(c => (string)c!["status"]! == "failed").Select(c => (string)c!["name"]!).ToArray();
        // Libraries loaded on first use (cuDNN, cuBLAS on a GPU) show only now.
        Summary["mappedAtEnd"] = new JsonObject(LibTorchPreloader.MappedLibraries().Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value))));
        Summary["finishedAt"] = DateTimeOffset.UtcNow.ToString("o", CultureInfo.InvariantCulture);
        Summary["passed"] = failed.Length == 0;
        Summary["failedChecks"] = new JsonArray(failed.Select(f => (JsonNode)JsonValue.Create(f)!).ToArray());
        WriteSummary();
        Log(failed.Length == 0 ? "All checks passed." : $"FAILED: {string.Join(", ", failed)}.");
        return failed.Length == 0;
    }

    private bool Step(string name, Func<JsonObject> body)
    {
        Log($"== {name}");
        var clock = Stopwatch.StartNew();
        JsonObject entry;
        try
        {
            var details = body();
            entry = new JsonObject { ["name"] = name, ["status"] = "passed" };
            foreach (var (key, value) in details.ToList())
            {
                details.Remove(key);
                entry[key] = value;
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            entry = new JsonObject { ["name"] = name, ["status"] = "failed", ["error"] = $"{ex.GetType().Name}: {ex.Message}" };
            if (ex is MnistCnnException m) entry["errorId"] = m.ErrorId;
            Log($"   FAILED: {ex.GetType().Name}: {ex.Message}");
        }
        entry["seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 3);
        checks.Add(entry);
        Log(string.Create(CultureInfo.InvariantCulture, $"   {entry["status"]} in {clock.Elapsed.TotalSeconds:F2} s"));
        WriteSummary();
        return (string)entry["status"]! == "passed";
    }

    private void Skip(string name, string reason)
    {
        checks.Add(new JsonObject { ["name"] = name, ["status"] = "skipped", ["reason"] = reason });
        Log($"== {name}: skipped ({reason})");
        WriteSummary();
    }

    private JsonObject Environment(MnistDataset data, LibTorchPreloader.Loaded? libtorch)
    {
        bool cudaAvailable = cuda.is_available();
        var env = new JsonObject
        {
            ["toolkit"] = Versions.Toolkit,
            ["torchSharp"] = Versions.TorchSharp,
            ["torchSharpBuiltForLibTorch"] = Versions.LibTorch,
            ["libTorchFolder"] = libtorch?.Folder,
            ["libTorchMappedFolder"] = libtorch?.MappedFolder,
            ["libTorchVersion"] = libtorch?.Version,
            ["libTorchPreloaded"] = libtorch is null ? null : new JsonArray(libtorch.Files.Select(f => (JsonNode)JsonValue.Create(Path.GetFileName(f))!).ToArray()),
            ["dotnet"] = RuntimeInformation.FrameworkDescription,
            ["os"] = RuntimeInformation.OSDescription,
            ["processors"] = System.Environment.ProcessorCount,
            ["torchThreads"] = get_num_threads(),
            ["cudaAvailable"] = cudaAvailable,
            ["cudaDevices"] = cudaAvailable ? cuda.device_count() : 0,
            ["cudnnAvailable"] = cudaAvailable && cuda.is_cudnn_available(),
            ["data"] = new JsonObject { ["name"] = data.Name, ["source"] = data.Source, ["train"] = data.Train.Count, ["test"] = data.Test.Count },
        };
        // Which libraries the process really mapped: the proof that the given libtorch, not another, runs.
        var mapped = LibTorchPreloader.MappedLibraries();
        env["mapped"] = new JsonObject(mapped.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value))));
        foreach (var (key, value) in env) Log($"   {key}: {value?.ToJsonString()}");
        if (libtorch is not null)
        {
            var stray = mapped.Where(kv => kv.Key.StartsWith("libtorch", StringComparison.Ordinal) && !kv.Value.StartsWith(libtorch.MappedFolder + "/", StringComparison.Ordinal)).ToList();
            if (stray.Count > 0 || !mapped.ContainsKey("libtorch_cpu.so"))
            {
                throw new MnistCnnException(GpuCheckErrorIds.LibTorchNotUsed, ErrorKind.InvalidOperation,
                    $"libtorch was not mapped from {libtorch.Folder}: {string.Join(", ", stray.Select(kv => kv.Value))}. Another libtorch is on the loader's path; remove it or unset LD_LIBRARY_PATH.");
            }
        }
        device = Trainer.ResolveDevice(options.Device);
        env["device"] = device.ToString();
        Summary["environment"] = env.DeepClone();
        env.Clear();
        return new JsonObject { ["device"] = device.ToString() };
    }

    private JsonObject Placement(MnistDataset data)
    {
        var expected = options.Device == DeviceKind.Cuda ? DeviceType.CUDA : DeviceType.CPU;
        Require(device.type == expected, $"Trainer.ResolveDevice({options.Device}) gave {device}, expected {expected}.");
        using var scope = NewDisposeScope();
        var spec = ModelPresets.Tutorial(data.InputShape, data.Classes);
        using var model = new CnnModel(spec, device);
        var misplaced = model.parameters().Where(p => p.device_type != expected).Count();
        Require(misplaced == 0, $"{misplaced} parameters of a model built for {device} are elsewhere.");
        var images = data.Test.Slice(0, Math.Min(8, data.Test.Count)).ImagesTensor(device);
        var labels = data.Test.Slice(0, Math.Min(8, data.Test.Count)).LabelsTensor(device);
        Require(images.device_type == expected && labels.device_type == expected, $"Data tensors are on {images.device}/{labels.device}, not {device}.");
        Require(images.dtype == ScalarType.Float32 && labels.dtype == ScalarType.Int64, $"Data tensors are {images.dtype}/{labels.dtype}, expected Float32/Int64.");
        double max = images.max().item<float>();
        Require(max is > 0 and <= 1, string.Create(CultureInfo.InvariantCulture, $"Images on the device are not scaled to [0, 1] (max {max})."));
        using (no_grad())
        {
            var logits = model.forward(images);
            Require(logits.device_type == expected && logits.shape.SequenceEqual(new[] { images.shape[0], (long)data.Classes }),
                $"The forward pass gave a {string.Join("x", logits.shape)} tensor on {logits.device}.");
        }
        int evalBatch = Evaluator.BatchSizeFor(device);
        Require(evalBatch == (expected == DeviceType.CUDA ? Evaluator.GpuBatchSize : Evaluator.CpuBatchSize), $"Evaluator.BatchSizeFor({device}) is {evalBatch}.");
        return new JsonObject { ["parameters"] = model.ParameterCount, ["evaluationBatchSize"] = evalBatch };
    }

    private JsonObject Tutorial(MnistDataset data)
    {
        var spec = ModelPresets.Tutorial(data.InputShape, data.Classes);
        var trainingOptions = new TrainingOptions
        {
            Epochs = options.TutorialEpochs,
            Seed = options.Seed,
            Device = options.Device,
            Threads = options.Threads,
            OutputPath = Path.Combine(options.OutputFolder, "tutorial-run"),
            Checkpoint = false,
            Report = false,
        };
        var result = Train(spec, data, trainingOptions, "tutorial");
        tutorial = result.TrainedModel;
        reference = result.Test;
        var perEpoch = SteadyEpochSeconds(result.Epochs);
        figures["tutorialSecondsPerEpoch"] = Math.Round(perEpoch, 4);
        figures["tutorialFirstEpochSeconds"] = Math.Round(result.Epochs[0].Seconds, 4);
        figures["tutorialImagesPerSecond"] = Math.Round(result.Epochs.Skip(result.Epochs.Count > 1 ? 1 : 0).Average(e => e.ImagesPerSecond), 1);
        figures["tutorialTestAccuracy"] = result.TestAccuracy;
        figures["tutorialEpochs"] = result.Epochs.Count;
        return Describe(result);
    }

    private JsonObject Evaluate(MnistDataset data)
    {
        var model = tutorial!;
        using var images = data.Test.ImagesTensor(device);
        using var labels = data.Test.LabelsTensor(device);
        var rows = new JsonArray();
        int defaultSize = Evaluator.BatchSizeFor(device);
        EvaluationResult? atDefault = null;
        (int Size, double Seconds) fastest = (0, double.MaxValue);
        foreach (int size in options.EvalBatchSizes.Append(defaultSize).Distinct())
        {
            var times = new List<double>();
            EvaluationResult? last = null;
            for (int r = 0; r < options.Repeats + 1; r++)
            {
                // The first pass per size is a warm-up (kernel selection, allocator growth), reported apart.
                var clock = Stopwatch.StartNew();
                last = Evaluator.Evaluate(model.Network, images, labels, size);
                times.Add(clock.Elapsed.TotalSeconds);
            }
            double best = times.Skip(1).Min();
            if (size == defaultSize) atDefault = last;
            if (best < fastest.Seconds) fastest = (size, best);
            int disagree = Disagreements(last!.Predicted, reference!.Predicted);
            rows.Add(new JsonObject
            {
                ["batchSize"] = size,
                ["seconds"] = Math.Round(best, 4),
                ["firstSeconds"] = Math.Round(times[0], 4),
                ["imagesPerSecond"] = Math.Round(data.Test.Count / best, 1),
                ["accuracy"] = last.Accuracy,
                ["disagreeWithTraining"] = disagree,
            });
            Log(string.Create(CultureInfo.InvariantCulture, $"   batch {size,5}: {best:F4} s ({data.Test.Count / best:N0} images/s), accuracy {last.Accuracy:P2}, {disagree} predictions differ from the trainer's evaluation"));
            Require(disagree <= MaxDisagreement * data.Test.Count,
                $"At evaluation batch {size}, {disagree} of {data.Test.Count} predictions differ from the trainer's own evaluation.");
        }
        figures["evaluateSeconds"] = rows.First(r => (int)r!["batchSize"]! == defaultSize)!["seconds"]!.DeepClone();
        figures["evaluateFastestBatchSize"] = fastest.Size;
        return new JsonObject
        {
            ["images"] = data.Test.Count,
            ["defaultBatchSize"] = defaultSize,
            ["fastestBatchSize"] = fastest.Size,
            ["accuracy"] = atDefault!.Accuracy,
            ["batchSizes"] = rows,
        };
    }

    private JsonObject Predict(MnistDataset data)
    {
        var times = new List<double>();
        IReadOnlyList<Prediction>? predictions = null;
        for (int r = 0; r < options.Repeats + 1; r++)
        {
            var clock = Stopwatch.StartNew();
            predictions = Predictor.PredictSplit(tutorial!, data.Test);
            times.Add(clock.Elapsed.TotalSeconds);
        }
        Require(predictions!.Count == data.Test.Count, $"Predicted {predictions.Count} of {data.Test.Count} test images.");
        int disagree = Disagreements(predictions.Select(p => p.Label).ToArray(), reference!.Predicted);
        double accuracy = predictions.Count(p => p.Label == p.Actual) / (double)predictions.Count;
        double best = times.Skip(1).Min();
        Log(string.Create(CultureInfo.InvariantCulture, $"   {predictions.Count} predictions in {best:F4} s (first {times[0]:F4} s), accuracy {accuracy:P2}, {disagree} differ from the evaluation"));
        Require(disagree <= MaxDisagreement * data.Test.Count, $"{disagree} of {data.Test.Count} predictions differ from the trainer's evaluation.");
        figures["predictSeconds"] = Math.Round(best, 4);
        return new JsonObject
        {
            ["images"] = predictions.Count,
            ["seconds"] = Math.Round(best, 4),
            ["firstSeconds"] = Math.Round(times[0], 4),
            ["imagesPerSecond"] = Math.Round(predictions.Count / best, 1),
            ["accuracy"] = accuracy,
            ["disagreeWithEvaluation"] = disagree,
        };
    }

    private JsonObject SaveAndLoad(MnistDataset data)
    {
        var model = tutorial!;
        var folder = Path.Combine(options.OutputFolder, "model");
        var clock = Stopwatch.StartNew();
        ModelStore.Save(model, folder);
        double saveSeconds = clock.Elapsed.TotalSeconds;
        using var onCpu = ModelStore.Load(folder, CPU);
        Require(onCpu.Device.type == DeviceType.CPU && onCpu.Network.parameters().All(p => p.device_type == DeviceType.CPU), "The loaded model is not on the CPU.");
        var here = Predictor.Probabilities(model, data.Test.Pixels, data.Test.Count, data.Test.Height, data.Test.Width);
        var there = Predictor.Probabilities(onCpu, data.Test.Pixels, data.Test.Count, data.Test.Height, data.Test.Width);
        int classes = here.GetLength(1), differentLabels = 0;
        double maxDifference = 0;
        for (int i = 0; i < data.Test.Count; i++)
        {
            int a = 0, b = 0;
            for (int c = 0; c < classes; c++)
            {
                maxDifference = Math.Max(maxDifference, Math.Abs(here[i, c] - there[i, c]));
                if (here[i, c] > here[i, a]) a = c;
                if (there[i, c] > there[i, b]) b = c;
            }
            if (a != b) differentLabels++;
        }
        Log(string.Create(CultureInfo.InvariantCulture, $"   saved on {model.Device} in {saveSeconds:F3} s, loaded on the CPU: {differentLabels} labels differ, largest probability difference {maxDifference:E2}"));
        Require(differentLabels == 0, $"{differentLabels} of {data.Test.Count} predicted labels differ between the model on {model.Device} and its copy loaded on the CPU.");
        Require(maxDifference <= MaxProbabilityDifference, string.Create(CultureInfo.InvariantCulture,
            $"Probabilities differ by up to {maxDifference:E2} between the model on {model.Device} and its copy loaded on the CPU (allowed {MaxProbabilityDifference:E0})."));
        return new JsonObject
        {
            ["savedFrom"] = model.Device.ToString(),
            ["loadedOn"] = "cpu",
            ["saveSeconds"] = Math.Round(saveSeconds, 4),
            ["images"] = data.Test.Count,
            ["differentLabels"] = differentLabels,
            ["maxProbabilityDifference"] = maxDifference,
        };
    }

    private JsonObject Fast(MnistDataset data)
    {
        var spec = ExperimentPlan.Load(options.FastSpec).Trials[0].Spec;
        var trainingOptions = spec.Training with
        {
            Epochs = options.FastEpochs ?? spec.Training.Epochs,
            Seed = options.Seed,
            Device = options.Device,
            Threads = options.Threads ?? spec.Training.Threads,
            OutputPath = null,
            Checkpoint = false,
            Report = false,
        };
        var result = Train(spec.Model, data, trainingOptions, "fast");
        result.TrainedModel?.Dispose();
        figures["fastTrainSeconds"] = Math.Round(result.TrainSeconds, 4);
        figures["fastTestAccuracy"] = result.TestAccuracy;
        figures["fastEpochs"] = result.Epochs.Count;
        figures["fastReached99"] = result.TestAccuracy >= 0.99;
        var details = Describe(result);
        details["spec"] = Path.GetFullPath(options.FastSpec);
        details["model"] = spec.Model.Name;
        return details;
    }

    /// <summary>
    /// Training images/s of the tutorial model in both memory layouts on the device: the same batches through the
    /// same starting weights, NCHW and channels-last (NHWC strides), after a warm-up; and the two layouts' logits
    /// on one batch, which must agree.
    /// </summary>
    private JsonObject Layout(MnistDataset data)
    {
        var spec = ModelPresets.Tutorial(data.InputShape, data.Classes);
        using var trainX = data.Train.ImagesTensor(device);
        using var trainY = data.Train.LabelsTensor(device);
        const int batchSize = 64, warmup = 20;
        var result = new JsonObject { ["batchSize"] = batchSize, ["batches"] = options.LayoutBatches };
        double? nchw = null;
        foreach (bool channelsLast in new[] { false, true })
        {
            manual_seed(options.Seed);
            using var model = new CnnModel(spec, device) { ChannelsLast = false };
            using var optimizer = Optimizers.Create(model.parameters(), new TrainingOptions { LearningRate = 0.001, Rho = 0.9, Epsilon = 1e-7 });
            using var generator = new Generator((ulong)options.Seed);
            long n = trainX.shape[0];
            using var order = randperm(n, generator: generator).to(device);
            using var lossSum = zeros(1, device: device);
            using var one = 1.ToScalar(); // owned, made once outside the timed loop (MNC0002, docs/development.md#analyzers)
            double seconds = 0;
            var clock = new Stopwatch();
            for (int b = 0; b < warmup + options.LayoutBatches; b++)
            {
                if (b == warmup)
                {
                    Synchronize();
                    clock.Start();
                }
                using var scope = NewDisposeScope();
                long start = (long)b * batchSize % Math.Max(1, n - batchSize + 1);
                var index = order.narrow(0, start, Math.Min(batchSize, n - start));
                var x = trainX.index_select(0, index);
                if (channelsLast) x = MemoryLayout.ToChannelsLast(x);
                var loss = nn.functional.cross_entropy(model.forward(x), trainY.index_select(0, index));
                model.zero_grad(set_to_none: true);
                loss.backward();
                optimizer.step();
                using (no_grad()) lossSum.add_(loss.detach(), one);
            }
            Synchronize();
            seconds = clock.Elapsed.TotalSeconds;
            double meanLoss = lossSum.item<float>() / (warmup + options.LayoutBatches);
            Require(double.IsFinite(meanLoss), $"The loss became {meanLoss} in the {(channelsLast ? "channels-last" : "NCHW")} timing.");
            double rate = options.LayoutBatches * batchSize / seconds;
            result[channelsLast ? "channelsLastImagesPerSecond" : "nchwImagesPerSecond"] = Math.Round(rate, 1);
            Log(string.Create(CultureInfo.InvariantCulture, $"   {(channelsLast ? "channels-last" : "NCHW"),-13}: {rate:N0} images/s over {options.LayoutBatches} batches of {batchSize}"));
            if (channelsLast) result["channelsLastSpeedup"] = Math.Round(rate / nchw!.Value, 3);
            else nchw = rate;
        }
        // The same weights give the same logits in both layouts.
        manual_seed(options.Seed);
        using (var model = new CnnModel(spec, device) { ChannelsLast = false })
        using (no_grad())
        using (NewDisposeScope())
        {
            var x = trainX.narrow(0, 0, Math.Min(256, trainX.shape[0]));
            var a = model.forward(x);
            var b = model.forward(MemoryLayout.ToChannelsLast(x));
            double difference = (a - b).abs().max().item<float>();
            result["maxLogitDifference"] = difference;
            Require(difference < 1e-3, string.Create(CultureInfo.InvariantCulture, $"NCHW and channels-last logits differ by {difference:E2}."));
        }
        figures["channelsLastSpeedup"] = result["channelsLastSpeedup"]!.DeepClone();
        return result;
    }

    private TrainingResult Train(ModelSpec spec, MnistDataset data, TrainingOptions trainingOptions, string what)
    {
        // Each check is a fresh one, as its log and summary are: the run folder of a previous check in the same --out
        // goes first (the trainer refuses a new run over an earlier one).
        if (trainingOptions.OutputPath is { } folder && Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        var result = new Trainer().Train(spec, data, trainingOptions, runName: $"gpu-check-{what}");
        foreach (var epoch in result.Epochs) Log("   " + epoch);
        Log(string.Create(CultureInfo.InvariantCulture, $"   test accuracy {result.TestAccuracy:P2} on {result.Device}, {result.TrainSeconds:F2} s of training"));
        var expected = options.Device == DeviceKind.Cuda ? "cuda" : "cpu";
        Require(result.Status == RunStatus.Finished, $"The {what} run ended {result.Status}: {result.Error}");
        Require(result.Device == expected, $"The {what} run trained on {result.Device}, not {expected}.");
        Require(result.Epochs.All(e => double.IsFinite(e.Loss)), $"The {what} run's loss was not finite.");
        return result;
    }

    private static JsonObject Describe(TrainingResult result) => new()
    {
        ["model"] = result.Model.Name,
        ["device"] = result.Device,
        ["epochs"] = new JsonArray(result.Epochs.Select(e => (JsonNode)new JsonObject
        {
            ["epoch"] = e.Epoch,
            ["seconds"] = Math.Round(e.Seconds, 4),
            ["imagesPerSecond"] = Math.Round(e.ImagesPerSecond, 1),
            ["loss"] = e.Loss,
            ["accuracy"] = e.Accuracy,
        }).ToArray()),
        ["trainSeconds"] = Math.Round(result.TrainSeconds, 4),
        ["secondsPerEpoch"] = Math.Round(SteadyEpochSeconds(result.Epochs), 4),
        ["testAccuracy"] = result.TestAccuracy,
        ["testLoss"] = result.TestLoss,
    };

    /// <summary>Median epoch time, leaving out the first epoch (kernel selection and allocator warm-up) when there are more.</summary>
    internal static double SteadyEpochSeconds(IReadOnlyList<EpochResult> epochs)
    {
        var times = epochs.Skip(epochs.Count > 1 ? 1 : 0).Select(e => e.Seconds).Order().ToArray();
        return times.Length == 0 ? double.NaN : times.Length % 2 == 1 ? times[times.Length / 2] : (times[(times.Length / 2) - 1] + times[times.Length / 2]) / 2;
    }

    private static int Disagreements(IReadOnlyList<int> a, IReadOnlyList<int> b)
    {
        int count = 0;
        for (int i = 0; i < Math.Min(a.Count, b.Count); i++) if (a[i] != b[i]) count++;
        return count + Math.Abs(a.Count - b.Count);
    }

    private void Synchronize()
    {
        if (device.type == DeviceType.CUDA) cuda.synchronize(device);
    }

    private static void Require(bool condition, string message)
    {
        if (!condition) throw new MnistCnnException(GpuCheckErrorIds.GpuCheckFailed, ErrorKind.InvalidOperation, message);
    }

    private void Log(string line)
    {
        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{DateTime.UtcNow:HH:mm:ss}] {line}"));
        log.Flush();
    }

    private void WriteSummary()
    {
        var path = Path.Combine(options.OutputFolder, SummaryFile);
        var temp = path + ".tmp";
        File.WriteAllText(temp, Summary.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.Move(temp, path, overwrite: true);
    }

    private static JsonObject OptionsJson(CheckOptions o) => new()
    {
        ["device"] = o.Device.ToString().ToLowerInvariant(),
        ["libtorch"] = o.LibTorchFolder,
        ["data"] = o.DataFolder,
        ["epochs"] = o.TutorialEpochs,
        ["fastSpec"] = o.FastSpec,
        ["fastEpochs"] = o.FastEpochs,
        ["trainLimit"] = o.TrainLimit,
        ["testLimit"] = o.TestLimit,
        ["evalBatches"] = new JsonArray(o.EvalBatchSizes.Select(s => (JsonNode)JsonValue.Create(s)!).ToArray()),
        ["layoutBatches"] = o.LayoutBatches,
        ["repeats"] = o.Repeats,
        ["seed"] = o.Seed,
        ["threads"] = o.Threads,
    };
}
