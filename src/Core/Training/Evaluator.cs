using TorchSharp;
using MnistCnn.Core.Models;
using static TorchSharp.torch;

namespace MnistCnn.Core.Training;

/// <summary>Loss, accuracy and per-example predictions of a model on a whole split, in large no-grad batches.</summary>
public static class Evaluator
{
    public const int DefaultBatchSize = 2000;

    /// <param name="model">The network; switched to eval mode and back to its previous mode.</param>
    /// <param name="images">N x C x H x W inputs, already on the model's device.</param>
    /// <param name="labels">N class indices (int64) on the same device.</param>
    /// <param name="batchSize">Examples per forward pass.</param>
    public static EvaluationResult Evaluate(CnnModel model, Tensor images, Tensor labels, int batchSize = DefaultBatchSize)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var noGrad = inference_mode();
            using var scope = NewDisposeScope();
            long n = images.shape[0];
            if (n == 0) return new EvaluationResult(double.NaN, double.NaN, 0, Array.Empty<int>(), Array.Empty<int>(), Array.Empty<float>());
            var lossSum = zeros(1, dtype: ScalarType.Float64, device: images.device);
            var predicted = new List<Tensor>();
            var confidence = new List<Tensor>();
            for (long start = 0; start < n; start += batchSize)
            {
                long len = Math.Min(batchSize, n - start);
                var x = images.narrow(0, start, len);
                var y = labels.narrow(0, start, len);
                var logits = model.forward(x);
                lossSum.add_(nn.functional.cross_entropy(logits, y, reduction: nn.Reduction.Sum).to(ScalarType.Float64));
                var (values, indices) = nn.functional.softmax(logits, 1).max(1);
                predicted.Add(indices);
                confidence.Add(values);
            }
            var pred = cat(predicted, 0).to(ScalarType.Int32).cpu().data<int>().ToArray();
            var conf = cat(confidence, 0).to(ScalarType.Float32).cpu().data<float>().ToArray();
            var actual = labels.to(ScalarType.Int32).cpu().data<int>().ToArray();
            int correct = 0;
            for (int i = 0; i < pred.Length; i++) if (pred[i] == actual[i]) correct++;
            double loss = lossSum.cpu().item<double>() / n;
            return new EvaluationResult(loss, (double)correct / n, (int)n, pred, actual, conf);
        }
        finally
        {
            model.train(wasTraining);
        }
    }
}
