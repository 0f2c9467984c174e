using System.Globalization;
using MnistCnn.Core.Data;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace MnistCnn.Core.Prediction;

/// <summary>Batched prediction with a trained model, in inference mode.</summary>
public static class Predictor
{
    /// <summary>Predicts every example of a split (or the given indices), with the known labels attached.</summary>
    public static IReadOnlyList<Prediction> PredictSplit(TrainedModel model, DataSplit split, IReadOnlyList<int>? indices = null, int top = 3)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(split);
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        if (indices is not null && indices.FirstOrDefault(i => i < 0 || i >= split.Count, int.MinValue) is var bad && bad != int.MinValue)
        {
            throw new MnistCnnException(PredictionErrorIds.IndexOutOfRange, ErrorKind.InvalidArgument, string.Create(CultureInfo.InvariantCulture,
                $"Index {bad} is outside the '{split.Name}' split: indices must be between 0 and {split.Count - 1}."), split.Name);
        }
        var selected = indices is null ? split : split.Select(indices);
        var source = split.ImagesFile ?? split.Name;
        var probabilities = Probabilities(model, selected.Pixels, selected.Count, selected.Height, selected.Width);
        var results = new Prediction[selected.Count];
        for (int i = 0; i < selected.Count; i++)
        {
            int index = indices?[i] ?? i;
            results[i] = Make(model, $"{source}[{index}]", index, probabilities, i, top, selected.Labels[i]) with
            {
                Blank = ImagePreprocessor.IsBlank(selected.Image(i)),
            };
        }
        return results;
    }

    /// <summary>Predicts already prepared images (8-bit grey, the model's input size), one result per image.</summary>
    public static IReadOnlyList<Prediction> PredictPixels(TrainedModel model, IReadOnlyList<(string Source, byte[] Pixels)> images, int top = 3)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        int h = model.Preprocessing.Height, w = model.Preprocessing.Width;
        var all = new byte[images.Count * h * w];
        for (int i = 0; i < images.Count; i++)
        {
            if (images[i].Pixels.Length != h * w)
            {
                throw new MnistCnnException(DataErrorIds.ImageSizeMismatch, ErrorKind.InvalidData, string.Create(CultureInfo.InvariantCulture,
                    $"'{images[i].Source}' has {images[i].Pixels.Length} pixels but model '{model.Name}' expects {h}x{w} = {h * w}."), images[i].Source);
            }
            images[i].Pixels.CopyTo(all, i * h * w);
        }
        var probabilities = Probabilities(model, all, images.Count, h, w);
        return images.Select((img, i) => Make(model, img.Source, null, probabilities, i, top, null) with { Blank = ImagePreprocessor.IsBlank(img.Pixels) }).ToArray();
    }

    /// <summary>Softmax probabilities, N x classes, computed in batches.</summary>
    public static float[,] Probabilities(TrainedModel model, byte[] pixels, int count, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(model);
        model.ThrowIfDisposed();
        if (height != model.Spec.Input.Height || width != model.Spec.Input.Width)
        {
            throw new MnistCnnException(DataErrorIds.ImageSizeMismatch, ErrorKind.InvalidData,
                $"The images are {height}x{width} but model '{model.Name}' expects {model.Spec.Input.Height}x{model.Spec.Input.Width}.");
        }
        int classes = model.Spec.Classes;
        var result = new float[count, classes];
        var network = model.Network;
        bool wasTraining = network.training;
        network.eval();
        try
        {
            using var mode = inference_mode();
            int batchSize = Training.Evaluator.BatchSizeFor(model.Device);
            for (int start = 0; start < count; start += batchSize)
            {
                int len = Math.Min(batchSize, count - start);
                using var scope = NewDisposeScope();
                var x = model.Preprocessing.InputTensor(pixels.AsSpan(start * height * width, len * height * width).ToArray(), [len, 1, height, width], model.Device);
                var p = nn.functional.softmax(network.forward(x), 1).cpu().data<float>().ToArray();
                for (int i = 0; i < len; i++)
                {
                    for (int c = 0; c < classes; c++) result[start + i, c] = p[(i * classes) + c];
                }
            }
        }
        finally
        {
            network.train(wasTraining);
        }
        return result;
    }

    private static Prediction Make(TrainedModel model, string source, int? index, float[,] p, int row, int top, int? actual)
    {
        int classes = p.GetLength(1);
        var order = Enumerable.Range(0, classes).OrderByDescending(c => p[row, c]).ThenBy(c => c).ToArray();
        var best = order.Take(Math.Min(top, classes)).Select(c => new ClassProbability(c, Name(model, c), p[row, c])).ToArray();
        return new Prediction(source, index, order[0], Name(model, order[0]), p[row, order[0]], best, actual);
    }

    private static string Name(TrainedModel model, int label) =>
        label < model.ClassNames.Count ? model.ClassNames[label] : label.ToString(CultureInfo.InvariantCulture);
}
