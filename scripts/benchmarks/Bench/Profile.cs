using System.Diagnostics;
using MnistCnn.Core.Models;
using MnistCnn.Core.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MnistCnn.Bench;

/// <summary>
/// Where a training step's time goes (docs/performance.md): the fast recipe's batch split into gather, forward and
/// loss, backward, optimizer step and metrics, each timed on its own over --batches steps after --warmup (CPU,
/// where every operator finishes before it returns).
/// </summary>
internal static class Profile
{
    public static Dictionary<string, object?> Run(Options o)
    {
        torch.set_num_threads(o.Int("threads", 1));
        torch.manual_seed(o.Int("seed", 1));
        int batchSize = o.Int("batch-size", 128);
        var (pixels, labels, count) = Idx.Load(Idx.DataDirectory(o), train: true, o.Int("train-size", 60000));
        using var maxPixel = 255f.ToScalar();
        using var xTrain = torch.tensor(pixels, new long[] { count, 1, 28, 28 }, ScalarType.Byte).to(ScalarType.Float32).div_(maxPixel);
        using var yTrain = torch.tensor(labels, ScalarType.Byte).to(ScalarType.Int64);
        using var model = new CnnModel(Candidates.Create(o.Text("preset", FastPresets.FastMnist)));
        using var optimizer = Optimizers.Create(model.parameters(), o.Text("optimizer", "adam") == "sgd"
            ? new TrainingOptions { Optimizer = OptimizerKind.Sgd, LearningRate = 0.01, Momentum = 0.9 }
            : new TrainingOptions { Optimizer = OptimizerKind.Adam, LearningRate = 0.001, Epsilon = 1e-7 });
        using var perm = torch.randperm(count);
        using var correct = torch.zeros(1, ScalarType.Int64);
        var phases = new[] { "gather", "forwardLoss", "backward", "optimizerStep", "metrics", "scopeDispose" };
        var totals = new double[phases.Length];
        int warmup = o.Int("warmup", 20), batches = o.Int("batches", 200);
        double smoothing = o.Double("label-smoothing", 0);
        model.train();
        var clock = new Stopwatch();
        using var one = 1.ToScalar(); // owned, made once outside the timed phases (MNC0002)
        for (int b = 0; b < warmup + batches; b++)
        {
            var t = new double[phases.Length];
            clock.Restart();
            var scope = torch.NewDisposeScope();
            var index = perm.narrow(0, (long)b * batchSize % (count - batchSize), batchSize);
            var x = xTrain.index_select(0, index);
            var y = yTrain.index_select(0, index);
            t[0] = Lap(clock);
            var logits = model.forward(x);
            var loss = nn.functional.cross_entropy(logits, y, label_smoothing: smoothing);
            t[1] = Lap(clock);
            model.zero_grad(set_to_none: true);
            loss.backward();
            t[2] = Lap(clock);
            optimizer.step();
            t[3] = Lap(clock);
            using (torch.no_grad()) correct.add_(logits.argmax(1).eq(y).sum(), one);
            t[4] = Lap(clock);
            scope.Dispose();
            t[5] = Lap(clock);
            if (b >= warmup) for (int i = 0; i < t.Length; i++) totals[i] += t[i];
        }
        var result = new Dictionary<string, object?> { ["impl"] = "profile", ["model"] = o.Text("preset", FastPresets.FastMnist), ["batchSize"] = batchSize, ["threads"] = torch.get_num_threads() };
        double all = totals.Sum();
        for (int i = 0; i < phases.Length; i++) result[phases[i] + "Ms"] = 1000 * totals[i] / batches;
        result["batchMs"] = 1000 * all / batches;
        if (o.Has("layers")) Layers(o, xTrain, batchSize, result);
        result["imagesPerSec"] = batches * batchSize / all;
        return result;
    }

    private static double Lap(Stopwatch clock)
    {
        double s = clock.Elapsed.TotalSeconds;
        clock.Restart();
        return s;
    }

    /// <summary>
    /// Forward and backward time of each layer of the fast recipe's model on its own (a random upstream gradient),
    /// in the layout and order CnnModel runs them: conv, max pool, relu (after the pool), batch norm.
    /// </summary>
    private static void Layers(Options o, Tensor xTrain, int batchSize, Dictionary<string, object?> result)
    {
        int f1 = o.Int("filters1", 8), f2 = o.Int("filters2", 32);
        var layers = new (string Name, nn.Module<Tensor, Tensor> Module)[]
        {
            ("conv1", nn.Conv2d(1, f1, 3)), ("pool1", nn.MaxPool2d(2)), ("relu1", nn.ReLU()), ("bn1", new BatchNormalization(f1, spatial: true, eps: 1e-5, momentum: 0.1)),
            ("conv2", nn.Conv2d(f1, f2, 3)), ("pool2", nn.MaxPool2d(2)), ("relu2", nn.ReLU()), ("bn2", new BatchNormalization(f2, spatial: true, eps: 1e-5, momentum: 0.1)),
            ("flatten", nn.Flatten()), ("dense1", nn.Linear(f2 * 25, 64)), ("relu3", nn.ReLU()), ("dense2", nn.Linear(64, 10)),
        };
        int batches = o.Int("layer-batches", 100);
        var x0 = o.Has("nchw") ? xTrain.narrow(0, 0, batchSize).detach() : MemoryLayout.ToChannelsLast(xTrain.narrow(0, 0, batchSize)).detach();
        var forward = new double[layers.Length];
        var backward = new double[layers.Length];
        var clock = new Stopwatch();
        for (int b = 0; b < batches + 10; b++)
        {
            using var scope = torch.NewDisposeScope();
            var input = x0;
            for (int i = 0; i < layers.Length; i++)
            {
                var x = i == 0 ? input : input.detach().requires_grad_(true);
                clock.Restart();
                var y = layers[i].Module.forward(x);
                double f = clock.Elapsed.TotalSeconds;
                var g = torch.rand_like(y);
                clock.Restart();
                y.backward(new[] { g });
                double bw = clock.Elapsed.TotalSeconds;
                if (b >= 10) { forward[i] += f; backward[i] += bw; }
                input = y;
            }
        }
        foreach (var (i, (name, _)) in layers.Index())
        {
            result[name + "FwdMs"] = Math.Round(1000 * forward[i] / batches, 3);
            result[name + "BwdMs"] = Math.Round(1000 * backward[i] / batches, 3);
        }
        foreach (var (_, m) in layers) m.Dispose();
    }
}
