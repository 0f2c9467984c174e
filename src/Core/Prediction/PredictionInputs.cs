using MnistCnn.Core.Data;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Models;

namespace MnistCnn.Core.Prediction;

/// <summary>
/// Sorts the files given to a prediction: pictures (decoded at once, with the model's preprocessing), IDX images files
/// (read when predicted, with the labels file beside them as the true labels) and IDX labels files (which hold no
/// images: they are only the labels of an images file given too). A problem with one file is returned, not thrown,
/// so one bad file does not stop the others.
/// </summary>
public sealed class PredictionInputs
{
    private readonly TrainedModel model;
    private readonly long maxPixelCount;
    private readonly List<(string Source, byte[] Pixels)> images = new();
    private readonly List<string> idxFiles = new();
    private readonly List<string> labelFiles = new();

    /// <param name="model">The model whose preprocessing decodes the pictures.</param>
    /// <param name="maxPixelCount">The most pixels a picture may declare (refused from its header, before decoding).</param>
    public PredictionInputs(TrainedModel model, long maxPixelCount = ImagePreprocessor.DefaultMaxPixelCount)
    {
        this.model = model ?? throw new ArgumentNullException(nameof(model));
        this.maxPixelCount = maxPixelCount;
    }

    /// <summary>The decoded pictures so far, in the order given.</summary>
    public IReadOnlyList<(string Source, byte[] Pixels)> Images => images;

    /// <summary>The IDX images files so far.</summary>
    public IReadOnlyList<string> IdxFiles => idxFiles;

    /// <summary>Adds one file; returns what is wrong with it (PathIsFolder, or the picture's own error), else null.</summary>
    public MnistCnnException? Add(string file)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (Directory.Exists(file))
        {
            return new MnistCnnException(PredictionErrorIds.PathIsFolder, ErrorKind.InvalidArgument,
                $"'{file}' is a folder. Pass image files, e.g. -Path '{Path.Combine(file, "*.png")}'.", file);
        }
        var name = Path.GetFileName(file);
        if (IsIdx(name, "idx1"))
        {
            labelFiles.Add(file);
            return null;
        }
        if (IsIdx(name, "idx"))
        {
            idxFiles.Add(file);
            return null;
        }
        try
        {
            images.Add((file, ImagePreprocessor.Load(file, model.Preprocessing, maxPixelCount)));
            return null;
        }
        catch (MnistCnnException ex)
        {
            return ex;
        }
    }

    /// <summary>
    /// Each labels file given: the images file it belongs to when that was given too (its labels are read with it),
    /// else the IdxLabelsFileAlone problem.
    /// </summary>
    public IEnumerable<(string File, string? ImagesFile, MnistCnnException? Problem)> LabelFiles()
    {
        foreach (var file in labelFiles)
        {
            string images = ImagesFileOf(file);
            yield return idxFiles.Contains(images, StringComparer.Ordinal)
                ? (file, images, null)
                : (file, null, new MnistCnnException(PredictionErrorIds.IdxLabelsFileAlone, ErrorKind.InvalidArgument,
                    $"'{file}' is an IDX labels file and holds no images. Pass its images file ('{Path.GetFileName(images)}'); the labels file beside it is read automatically.", file));
        }
    }

    /// <summary>
    /// Predicts every IDX images file given, in order (a broken one is a problem, not a stop, as a broken picture is),
    /// then tells about each labels file: used with its images file (a note), or given alone (IdxLabelsFileAlone).
    /// </summary>
    public IEnumerable<PredictionOutcome> PredictFiles(int top)
    {
        foreach (var file in idxFiles)
        {
            PredictionOutcome outcome;
            try
            {
                outcome = new PredictionOutcome(PredictIdx(file, top));
            }
            catch (MnistCnnException ex)
            {
                outcome = new PredictionOutcome(Array.Empty<Prediction>(), Problem: ex);
            }
            yield return outcome;
        }
        foreach (var (file, images, problem) in LabelFiles())
        {
            yield return new PredictionOutcome(Array.Empty<Prediction>(), problem,
                problem is null ? $"'{file}' holds the labels of '{images}'; they are used as its Actual values." : null);
        }
    }

    /// <summary>The IndexOutOfRange error when an index is outside the split (named <paramref name="splitName"/> in the message).</summary>
    public static void CheckIndexes(DataSplit split, IReadOnlyList<int>? indexes, string splitName)
    {
        ArgumentNullException.ThrowIfNull(split);
        if (indexes is not null && indexes.Any(i => i < 0 || i >= split.Count))
        {
            throw new MnistCnnException(PredictionErrorIds.IndexOutOfRange, ErrorKind.InvalidArgument,
                $"-Index must be between 0 and {split.Count - 1} for the {splitName} split.", splitName);
        }
    }

    /// <summary>Predicts every image of an IDX images file; the labels file beside it (…-labels-idx1-…) gives the Actual values.</summary>
    public IReadOnlyList<Prediction> PredictIdx(string imagesFile, int top)
    {
        // The matching labels file beside it (t10k-images-idx3-ubyte -> t10k-labels-idx1-ubyte) adds the true labels.
        var folder = Path.GetDirectoryName(imagesFile)!;
        var labelsName = Path.GetFileName(imagesFile).Replace("images-idx3", "labels-idx1", StringComparison.OrdinalIgnoreCase);
        var labelsFile = Path.Combine(folder, labelsName);
        bool withLabels = !string.Equals(labelsFile, imagesFile, StringComparison.Ordinal) && File.Exists(labelsFile);
        // Headers first: a count mismatch is found before a large images file is inflated.
        if (withLabels) IdxReader.CheckPair(IdxReader.ReadHeader(imagesFile, IdxReader.ImagesMagic), IdxReader.ReadHeader(labelsFile, IdxReader.LabelsMagic));
        var read = IdxReader.ReadImages(imagesFile);
        if (withLabels)
        {
            return Predictor.PredictSplit(model, IdxReader.ToSplit(Path.GetFileName(imagesFile), read, IdxReader.ReadLabels(labelsFile)), null, top);
        }
        int h = read.Dimensions[1], w = read.Dimensions[2], size = h * w;
        var items = Enumerable.Range(0, read.Count)
            .Select(i => ($"{imagesFile}[{i}]", read.Data.AsSpan(i * size, size).ToArray()))
            .ToList();
        return Predictor.PredictPixels(model, items, top);
    }

    private static bool IsIdx(string name, string kind) =>
        name.Contains(kind, StringComparison.OrdinalIgnoreCase) && name.Contains("ubyte", StringComparison.OrdinalIgnoreCase);

    /// <summary>t10k-labels-idx1-ubyte -> t10k-images-idx3-ubyte in the same folder.</summary>
    private static string ImagesFileOf(string labelsFile) => Path.Combine(
        Path.GetDirectoryName(labelsFile)!,
        Path.GetFileName(labelsFile).Replace("labels-idx1", "images-idx3", StringComparison.OrdinalIgnoreCase));
}

/// <summary>What one input file of a prediction gave: its predictions, or the problem with it, or a note about it.</summary>
public sealed record PredictionOutcome(IReadOnlyList<Prediction> Predictions, MnistCnnException? Problem = null, string? Note = null);
