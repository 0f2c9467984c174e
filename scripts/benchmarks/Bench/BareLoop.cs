using System.Diagnostics;
using MnistCnn.Core.Models;
using MnistCnn.Core.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MnistCnn.Bench;

/// <summary>
/// The bare TorchSharp loop: data as one float tensor on the device, shuffled by index with index_select,
/// one dispose scope per batch, loss accumulated on the device and read once. Flags switch individual
/// choices back to their slow variants so their cost can be measured (docs/performance.md).
/// </summary>
internal static class BareLoop
{
    public static Dictionary<string, object?> Run(Options o)
    {
        int threads = o.Int("threads", Environment.ProcessorCount);
        torch.set_num_threads(threads);
        if (o.Has("interop-threads")) torch.set_num_interop_threads(o.Int("interop-threads", 1));
        var device = o.Text("device", "cpu") == "cuda" ? torch.CUDA : torch.CPU;
        int seed = o.Int("seed", 1);
        torch.manual_seed(seed);
        int batchSize = o.Int("batch-size", 64);
        int evalBatch = o.Int("eval-batch", MnistCnn.Core.Training.Evaluator.CpuBatchSize);
        int itemEvery = o.Int("item-every", 0);
        bool useScope = !o.Has("no-scope");
        bool zeroFill = o.Text("zero-grad", "none") == "fill";
        // Channels-last by default, as CnnModel runs CPU batches; --layout nchw measures what that layout is worth.
        // A --preset model is a CnnModel, which converts its own batches.
        bool channelsLast = Layout(o) == "channels-last" && o.Text("preset") is null;

        var dataDir = Idx.DataDirectory(o);
        var loadWatch = Stopwatch.StartNew();
        var (trainPixels, trainLabels, trainCount) = Idx.Load(dataDir, train: true, o.Int("train-size", 60000));
        using var xTrain = ToImages(trainPixels, trainCount, device);
        using var yTrain = torch.tensor(trainLabels, ScalarType.Byte).to(ScalarType.Int64).to(device);
        double loadSeconds = loadWatch.Elapsed.TotalSeconds;

        using var model = BuildModel(o, device);
        var parameters = model.parameters().ToList();
        using var optimizer = BuildOptimizer(o, parameters);
        double baseLr = LearningRate(o);

        // Fixed-batch mode (throughput): --warmup W untimed batches, then --batches N timed ones.
        // Epoch mode (--epochs E): E full passes over the training set, every batch timed.
        bool epochMode = o.Has("epochs");
        int batchesPerEpoch = (trainCount + batchSize - 1) / batchSize;
        int warmup = epochMode ? 0 : o.Int("warmup", 20);
        int timed = epochMode ? o.Int("epochs", 1) * batchesPerEpoch : o.Int("batches", 200);
        int total = warmup + timed;

        // The module's own one-cycle schedule (LearningRateSchedule), so a recipe found here trains the same there.
        var schedule = o.Text("schedule", "constant") == "onecycle"
            ? new TrainingOptions
            {
                Epochs = (total + batchesPerEpoch - 1) / batchesPerEpoch,
                LearningRate = baseLr,
                Schedule = LearningRateScheduleKind.OneCycle,
                MaxLearningRateFactor = o.Double("max-lr-factor", 10),
                WarmupFraction = o.Double("warmup-fraction", 0.25),
                MinLearningRate = o.Double("min-lr", 0),
            }
            : null;
        using var generator = new torch.Generator((ulong)seed);
        Tensor? perm = null;
        int position = trainCount;
        using var lossSum = torch.zeros(1, device: device);
        using var one = 1.ToScalar(); // owned, made once outside the timed loop (MNC0002)
        double hostLoss = 0;
        long images = 0;
        var epochSeconds = new List<double>();
        var watch = new Stopwatch();
        var epochWatch = new Stopwatch();
        double cpuAtStart = 0;
        MachineLoad? load = null;
        model.train();
        for (int step = 0; step < total; step++)
        {
            if (step == warmup)
            {
                Sync(device);
                cpuAtStart = ProcessStats.CpuSeconds();
                load = new MachineLoad();
                watch.Start();
                epochWatch.Restart();
            }
            if (position >= trainCount)
            {
                perm?.Dispose();
                using (var p = torch.randperm(trainCount, generator: generator)) perm = p.to(device);
                position = 0;
            }
            if (schedule is not null) SetLearningRate(optimizer, LearningRateSchedule.At(schedule, step / batchesPerEpoch, step % batchesPerEpoch, batchesPerEpoch));
            int size = Math.Min(batchSize, trainCount - position);
            using (var scope = useScope ? torch.NewDisposeScope() : null)
            {
                var idx = perm!.narrow(0, position, size);
                var x = xTrain.index_select(0, idx);
                if (channelsLast) x = MemoryLayout.ToChannelsLast(x);
                var y = yTrain.index_select(0, idx);
                var logits = model.forward(x);
                var loss = nn.functional.cross_entropy(logits, y, label_smoothing: o.Double("label-smoothing", 0));
                if (zeroFill) optimizer.zero_grad(); else model.zero_grad(set_to_none: true);
                loss.backward();
                optimizer.step();
                using (torch.no_grad()) lossSum.add_(loss.detach(), one);
                if (itemEvery > 0 && step % itemEvery == 0) hostLoss = loss.item<float>();
            }
            position += size;
            if (step >= warmup) images += size;
            if (epochMode && position >= trainCount)
            {
                Sync(device);
                epochSeconds.Add(epochWatch.Elapsed.TotalSeconds);
                epochWatch.Restart();
            }
        }
        double meanLoss = lossSum.item<float>() / total; // the one host read of the loss
        Sync(device);
        watch.Stop();
        double cpuSeconds = ProcessStats.CpuSeconds() - cpuAtStart;
        double otherCores = load?.OtherCores() ?? double.NaN;
        perm?.Dispose();
        _ = hostLoss;

        var result = new Dictionary<string, object?>
        {
            ["impl"] = o.Text("label", "bare"),
            ["model"] = o.Text("preset", "tutorial"),
            ["device"] = device.type.ToString().ToLowerInvariant(),
            ["threads"] = torch.get_num_threads(),
            ["batchSize"] = batchSize,
            ["trainSize"] = trainCount,
            ["images"] = images,
            ["trainSeconds"] = watch.Elapsed.TotalSeconds,
            ["imagesPerSec"] = images / watch.Elapsed.TotalSeconds,
            ["cpuUtilisation"] = cpuSeconds / watch.Elapsed.TotalSeconds,
            ["imagesPerCpuSec"] = images / cpuSeconds,
            ["otherCores"] = otherCores,
            ["epochSeconds"] = epochSeconds,
            ["meanLoss"] = meanLoss,
            ["loadSeconds"] = loadSeconds,
        };
        if (o.Has("eval")) Evaluate(o, model, dataDir, evalBatch, channelsLast, device, result);
        result["peakRssMiB"] = ProcessStats.PeakRssMiB();
        result["startToResultSeconds"] = ProcessStats.SecondsSinceProcessStart();
        return result;
    }

    private static Tensor ToImages(byte[] pixels, int count, Device device)
    {
        using var scope = torch.NewDisposeScope();
        using var maxPixel = 255f.ToScalar();
        var t = torch.tensor(pixels, new long[] { count, 1, 28, 28 }, ScalarType.Byte).to(ScalarType.Float32).div_(maxPixel);
        return t.to(device).MoveToOuterDisposeScope();
    }

    /// <summary>Test accuracy (no_grad, big batches, on-device count) and a prediction pass that copies labels and confidences to the host.</summary>
    private static void Evaluate(Options o, nn.Module<Tensor, Tensor> model, string? dataDir, int evalBatch, bool channelsLast, Device device, Dictionary<string, object?> result)
    {
        var (pixels, labels, count) = Idx.Load(dataDir, train: false);
        using var xTest = ToImages(pixels, count, device);
        using var yTest = torch.tensor(labels, ScalarType.Byte).to(ScalarType.Int64).to(device);
        model.eval();
        var evalTimes = new List<double>();
        var predictTimes = new List<double>();
        long correct = 0;
        for (int repeat = 0; repeat < o.Int("eval-repeats", 3); repeat++)
        {
            var watch = Stopwatch.StartNew();
            using (torch.inference_mode())
            using (var scope = torch.NewDisposeScope())
            {
                var hits = torch.zeros(1, ScalarType.Int64, device: device);
                using var one = 1.ToScalar(); // owned, made once outside the timed loop (MNC0002)
                for (int start = 0; start < count; start += evalBatch)
                {
                    int size = Math.Min(evalBatch, count - start);
                    var x = xTest.narrow(0, start, size);
                    if (channelsLast) x = MemoryLayout.ToChannelsLast(x);
                    hits.add_(model.forward(x).argmax(1).eq(yTest.narrow(0, start, size)).sum(), one);
                }
                correct = hits.item<long>();
            }
            evalTimes.Add(watch.Elapsed.TotalSeconds);

            watch.Restart();
            var predicted = new long[count];
            var confidence = new float[count];
            using (torch.inference_mode())
            {
                for (int start = 0; start < count; start += evalBatch)
                {
                    using var scope = torch.NewDisposeScope();
                    int size = Math.Min(evalBatch, count - start);
                    var x = xTest.narrow(0, start, size);
                    if (channelsLast) x = MemoryLayout.ToChannelsLast(x);
                    var (values, indexes) = nn.functional.softmax(model.forward(x), 1).max(1);
                    indexes.cpu().data<long>().CopyTo(predicted.AsSpan(start, size));
                    values.cpu().data<float>().CopyTo(confidence.AsSpan(start, size));
                }
            }
            predictTimes.Add(watch.Elapsed.TotalSeconds);
        }
        if (o.Has("lead-evaluator") && model is CnnModel cnn)
        {
            // The module's Evaluator (loss, accuracy, predictions and confidences in one pass), for comparison.
            double rssBefore = ProcessStats.PeakRssMiB();
            var watch = Stopwatch.StartNew();
            var evaluation = MnistCnn.Core.Training.Evaluator.Evaluate(cnn, xTest, yTest, o.Has("lead-eval-batch") ? o.Int("lead-eval-batch", 64) : null);
            result["leadEvaluatorSeconds"] = watch.Elapsed.TotalSeconds;
            result["leadEvaluatorAccuracy"] = evaluation.Accuracy;
            result["peakRssBeforeLeadEvaluatorMiB"] = rssBefore;
        }
        result["testAccuracy"] = (double)correct / count;
        result["evalSeconds"] = evalTimes.Min();
        result["evalSecondsFirst"] = evalTimes[0];
        result["predictSeconds"] = predictTimes.Min();
        result["evalBatch"] = evalBatch;
    }

    private static nn.Module<Tensor, Tensor> BuildModel(Options o, Device device)
    {
        var preset = o.Text("preset");
        if (preset is not null)
        {
            // The same CnnModel the module trains (Keras initialisation), from a Core preset or a candidate (Candidates.cs). It sets its own
            // layout (channels-last on the CPU); --layout nchw turns that off.
            return new CnnModel(Candidates.Create(preset), device) { ChannelsLast = Layout(o) == "channels-last" };
        }
        var model = nn.Sequential(
            ("conv1", nn.Conv2d(1, 32, 3)), ("relu1", nn.ReLU()), ("pool1", nn.MaxPool2d(2)),
            ("conv2", nn.Conv2d(32, 64, 3)), ("relu2", nn.ReLU()), ("pool2", nn.MaxPool2d(2)),
            ("conv3", nn.Conv2d(64, 64, 3)), ("relu3", nn.ReLU()), ("flatten", nn.Flatten()),
            ("dense1", nn.Linear(576, 64)), ("relu4", nn.ReLU()),
            ("dense2", nn.Linear(64, 10)));
        return device.type == DeviceType.CPU ? model : model.to(device);
    }

    private static double LearningRate(Options o) => o.Double("lr", o.Text("optimizer", "rmsprop") == "sgd" ? 0.01 : 0.001);

    /// <summary>The toolkit's own optimizers (Core's Optimizers.Create): their steps own their scalars, TorchSharp's do not.</summary>
    private static optim.Optimizer BuildOptimizer(Options o, IList<Parameter> parameters)
    {
        var kind = o.Text("optimizer", "rmsprop") switch
        {
            "rmsprop" => OptimizerKind.RmsProp,
            "adam" => OptimizerKind.Adam,
            "adamw" => OptimizerKind.AdamW,
            "sgd" => OptimizerKind.Sgd,
            var other => throw new ArgumentException($"Unknown optimizer '{other}'."),
        };
        return Optimizers.Create(parameters, new TrainingOptions
        {
            Optimizer = kind,
            LearningRate = LearningRate(o),
            Rho = o.Double("rho", 0.9),
            Beta1 = o.Double("beta1", 0.9),
            Beta2 = o.Double("beta2", 0.999),
            Epsilon = o.Double("eps", 1e-7),
            WeightDecay = o.Double("weight-decay", kind == OptimizerKind.AdamW ? 0.004 : 0),
            Momentum = o.Double("momentum", kind == OptimizerKind.Sgd ? 0.9 : 0),
            Nesterov = o.Has("nesterov"),
        });
    }

    private static void SetLearningRate(optim.Optimizer optimizer, double lr)
    {
        foreach (var group in optimizer.ParamGroups) group.LearningRate = lr;
    }

    /// <summary>--layout channels-last (default on the CPU) or nchw; CUDA batches stay NCHW, as in CnnModel.</summary>
    private static string Layout(Options o)
    {
        var layout = o.Text("layout", o.Text("device", "cpu") == "cuda" ? "nchw" : "channels-last");
        return layout is "channels-last" or "nchw" ? layout : throw new ArgumentException($"--layout must be channels-last or nchw, not '{layout}'.");
    }

    private static void Sync(Device device)
    {
        if (device.type == DeviceType.CUDA) torch.cuda.synchronize();
    }
}
