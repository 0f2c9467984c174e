using System.Globalization;
using System.Reflection;
using MnistCnn.Core.Data;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Models;
using MnistCnn.Core.Training;

namespace MnistCnn.Core.Reporting;

/// <summary>The files <see cref="RunReport.Write"/> wrote (null: not drawn, e.g. no test result or no mistake).</summary>
public sealed record RunReportFiles(string Folder, string Html, string? Curves, string? Confusion, string? Misclassified);

/// <summary>
/// The pictures and the report of one finished run, written into its run folder: <c>curves.png</c>,
/// <c>confusion.png</c>, <c>misclassified.png</c> and a self-contained <c>report.html</c> that embeds them.
/// </summary>
public static class RunReport
{
    public const string HtmlFile = "report.html";
    public const string CurvesFile = "curves.png";
    public const string ConfusionFile = "confusion.png";
    public const string MisclassifiedFile = "misclassified.png";

    /// <summary>How many mistakes the misclassified grid shows.</summary>
    public const int DefaultMistakes = 25;

    /// <summary>
    /// Draws the pictures of <paramref name="result"/> and writes them and <c>report.html</c> into
    /// <paramref name="runFolder"/> (created if missing). <paramref name="test"/> is the split the model was
    /// evaluated on (its images make the mistakes grid; null skips that grid). <paramref name="classNames"/>
    /// label the classes (null: 0, 1, 2...). A picture that cannot be drawn (no epoch, no test result, no
    /// mistake) is left out and an old file of that name is deleted, so the folder never mixes runs.
    /// Throws <see cref="MnistCnnException"/> (ReportWriteFailed, ReportTestSplitMismatch, ReportClassNamesMismatch).
    /// </summary>
    public static RunReportFiles Write(string runFolder, TrainingResult result, DataSplit? test, IReadOnlyList<string>? classNames, int mistakes = DefaultMistakes)
    {
        ArgumentNullException.ThrowIfNull(result);
        string folder = PictureFiles.Folder(runFolder);
        var names = ResolveClassNames(result.Model.Classes, classNames);

        byte[]? curves = result.Epochs.Count > 0 ? TrainingCharts.Curves(result.Epochs) : null;
        byte[]? confusion = null;
        GridPicture? misclassified = null;
        // A result read back from result.json or MLflow has test metrics but no predictions: no confusion matrix then.
        if (result.Test is { Predicted.Length: > 0 } evaluation)
        {
            confusion = TrainingCharts.Confusion(evaluation.ConfusionMatrix(names.Count), names, "Confusion matrix, test set");
            if (test is not null && mistakes > 0) misclassified = TrainingCharts.Misclassified(evaluation, test, names, mistakes);
        }

        var features = Features(result, test);

        string? curvesPath = Save(folder, CurvesFile, curves);
        string? confusionPath = Save(folder, ConfusionFile, confusion);
        string? misclassifiedPath = Save(folder, MisclassifiedFile, misclassified?.Png);
        SaveFeatures(folder, features);
        string htmlPath = Path.Combine(folder, HtmlFile);
        string? featureCaption = features is null || test is null ? null : string.Create(CultureInfo.InvariantCulture,
            $"Test image 0 (class {names[test.Labels[0]]}) as the model sees it");
        PictureFiles.WriteText(htmlPath, Html(result, names, curves, confusion, misclassified?.Png, features, featureCaption));
        return new RunReportFiles(folder, htmlPath, curvesPath, confusionPath, misclassifiedPath);
    }

    /// <summary>
    /// <see cref="Write"/>, but a failure becomes a warning on <paramref name="reporter"/> and a null result:
    /// for the end of a training run, where a picture must never turn a finished run into a failed one.
    /// </summary>
    public static RunReportFiles? TryWrite(string runFolder, TrainingResult result, DataSplit? test, IReadOnlyList<string>? classNames, IReporter reporter,
        int mistakes = DefaultMistakes)
    {
        ArgumentNullException.ThrowIfNull(reporter);
        try
        {
            var files = Write(runFolder, result, test, classNames, mistakes);
            reporter.Verbose($"Wrote the run report {files.Html}.");
            return files;
        }
        catch (Exception ex) when (ex is MnistCnnException or IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
        {
            reporter.Warning($"The run's pictures and report were not written: {ex.Message}");
            return null;
        }
    }

    /// <summary>The report page of <paramref name="result"/> with the given pictures (PNG bytes, null to leave out).</summary>
    public static string Html(TrainingResult result, IReadOnlyList<string> classNames, byte[]? curves, byte[]? confusion, byte[]? misclassified,
        IReadOnlyList<FeatureMapImage>? features = null, string? featureCaption = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(classNames);
        var inv = CultureInfo.InvariantCulture;
        var page = new HtmlPage($"{result.RunName}: MnistCnn run report");
        page.Heading(result.RunName, 1);
        page.Raw($"<div class=\"sub\">Run {HtmlPage.Encode(result.RunId)} &middot; <span class=\"status status-{result.Status}\">{result.Status}</span></div>");

        var last = result.Epochs.Count > 0 ? result.Epochs[^1] : null;
        var summary = new List<(string, string)>
        {
            ("Run id", result.RunId),
            ("Run name", result.RunName),
            ("Status", result.Status.ToString()),
            ("Dataset", result.Dataset),
            ("Model", $"{result.Model.Name} ({ParameterCount(result.Model)} parameters)"),
            ("Device", result.Device),
            ("Started", result.StartTime.ToString("yyyy-MM-dd HH:mm:ss zzz", inv)),
            ("Ended", result.EndTime.ToString("yyyy-MM-dd HH:mm:ss zzz", inv)),
            ("Duration", string.Create(inv, $"{(result.EndTime - result.StartTime).TotalSeconds:0.0} s (training {result.TrainSeconds:0.0} s)")),
            ("Epochs run", string.Create(inv, $"{result.Epochs.Count} of {result.Options.Epochs}")),
        };
        if (last is not null)
        {
            summary.Add(("Final training loss / accuracy", $"{HtmlPage.Number(last.Loss)} / {HtmlPage.Percent(last.Accuracy)}"));
            if (last.ValidationLoss is not null || last.ValidationAccuracy is not null)
            {
                summary.Add(("Final validation loss / accuracy", $"{HtmlPage.Number(last.ValidationLoss)} / {HtmlPage.Percent(last.ValidationAccuracy)}"));
            }
        }
        if (result.Test is { } t)
        {
            summary.Add(("Test loss", HtmlPage.Number(t.Loss)));
            summary.Add(("Test accuracy", string.Create(inv, $"{HtmlPage.Percent(t.Accuracy)} of {t.Count:N0} images")));
        }
        if (!string.IsNullOrEmpty(result.Error)) summary.Add(("Error", result.Error));
        page.Heading("Summary").KeyValues("summary", summary);

        if (curves is not null || confusion is not null || misclassified is not null) page.Heading("Pictures");
        if (curves is not null)
        {
            page.Figure(curves, "Loss and accuracy per epoch", "Loss (left) and accuracy (right) per epoch: training solid, validation dashed.", "curves");
        }
        if (confusion is not null)
        {
            page.Figure(confusion, "Confusion matrix of the test set", "Confusion matrix of the test set: rows are the true classes, columns the predictions, cells the counts.", "confusion");
        }
        if (misclassified is not null)
        {
            page.Figure(misclassified, "Most confident mistakes on the test set", "The test images the model got wrong with the highest confidence: true label, prediction and its probability.", "misclassified");
        }

        if (features is { Count: > 0 })
        {
            page.Heading("What the layers see");
            page.Paragraph($"{featureCaption ?? "One image"}: the input, every convolution layer's activation maps (each map scaled from its " +
                "lowest value, black, to its highest, white), and the first layer's learned filters (mid-grey is 0, white positive, black negative).");
            foreach (var f in features)
            {
                string what = f.Kind switch
                {
                    FeatureMapKind.Input => "The input image",
                    FeatureMapKind.Filters => $"The filters of {f.Layer}",
                    _ => $"The activation maps of {f.Layer}",
                };
                page.Figure(f.Png, what, string.Create(inv, $"{what}: {f.Maps} of {f.MapHeight}x{f.MapWidth}."), "features-" + f.Kind.ToString().ToLowerInvariant() + "-" + f.Layer);
            }
        }

        if (result.Test is { Predicted.Length: > 0 } test)
        {
            var metrics = ClassMetrics.FromConfusion(test.ConfusionMatrix(classNames.Count), classNames);
            page.Heading("Per-class precision and recall (test set)");
            page.Table("classes",
                new[] { ("Class", true), ("Name", false), ("Images", true), ("Predicted", true), ("Correct", true), ("Precision", true), ("Recall", true), ("F1", true) },
                metrics.Select(m => HtmlPage.Row(new[]
                {
                    HtmlPage.NumCell(m.Class.ToString(inv), m.Class), HtmlPage.Cell(m.Name),
                    HtmlPage.NumCell(m.Support.ToString("N0", inv), m.Support), HtmlPage.NumCell(m.Predicted.ToString("N0", inv), m.Predicted),
                    HtmlPage.NumCell(m.Correct.ToString("N0", inv), m.Correct), HtmlPage.NumCell(HtmlPage.Percent(m.Precision), m.Precision),
                    HtmlPage.NumCell(HtmlPage.Percent(m.Recall), m.Recall), HtmlPage.NumCell(HtmlPage.Number(m.F1), m.F1),
                })), sortable: true);
        }

        page.Heading("Epochs");
        page.Table("epochs",
            new[] { ("Epoch", true), ("Loss", true), ("Accuracy", true), ("Validation loss", true), ("Validation accuracy", true), ("Learning rate", true), ("Seconds", true), ("Images/s", true) },
            result.Epochs.Select(e => HtmlPage.Row(new[]
            {
                HtmlPage.NumCell(e.Epoch.ToString(inv), e.Epoch), HtmlPage.NumCell(HtmlPage.Number(e.Loss), e.Loss),
                HtmlPage.NumCell(HtmlPage.Percent(e.Accuracy), e.Accuracy), HtmlPage.NumCell(HtmlPage.Number(e.ValidationLoss), e.ValidationLoss),
                HtmlPage.NumCell(HtmlPage.Percent(e.ValidationAccuracy), e.ValidationAccuracy), HtmlPage.NumCell(e.LearningRate.ToString("G4", inv), e.LearningRate),
                HtmlPage.NumCell(e.Seconds.ToString("0.0", inv), e.Seconds), HtmlPage.NumCell(e.ImagesPerSecond.ToString("N0", inv), e.ImagesPerSecond),
            })), sortable: true);

        page.Heading("Model");
        AppendModel(page, result.Model);

        page.Heading("Settings");
        page.KeyValues("settings", Settings(result.Options));
        return page.Render();
    }

    /// <summary>The training options as name/value pairs (every public property, invariant formatting).</summary>
    public static IReadOnlyList<(string Name, string Value)> Settings(TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return typeof(TrainingOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0 && p.Name != "EqualityContract")
            .Select(p => (p.Name, Format(p.GetValue(options))))
            .ToArray();
    }

    internal static IReadOnlyList<string> ResolveClassNames(int classes, IReadOnlyList<string>? classNames)
    {
        if (classNames is null || classNames.Count == 0)
        {
            return Enumerable.Range(0, classes).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();
        }
        if (classNames.Count != classes)
        {
            throw new MnistCnnException(ReportingErrorIds.ReportClassNamesMismatch, ErrorKind.InvalidArgument, string.Create(CultureInfo.InvariantCulture,
                $"The model has {classes} classes but {classNames.Count} class names were given; pass one name per class."), null);
        }
        return classNames;
    }

    private static void AppendModel(HtmlPage page, ModelSpec model)
    {
        var inv = CultureInfo.InvariantCulture;
        IReadOnlyList<LayerSummary> layers;
        try
        {
            layers = model.Summarize();
        }
        catch (MnistCnnException ex)
        {
            page.Paragraph($"The model summary is unavailable: {ex.Message}");
            return;
        }
        page.Paragraph(string.Create(inv, $"{model.Name}: input {model.Input}, {model.Classes} classes."));
        var rows = layers.Select(l => HtmlPage.Row(new[]
        {
            HtmlPage.NumCell(l.Index.ToString(inv), l.Index), HtmlPage.Cell(l.Name), HtmlPage.Cell(l.Type), HtmlPage.Cell(l.Description),
            HtmlPage.Cell(l.OutputShape.ToString()), HtmlPage.NumCell(l.Parameters.ToString("N0", inv), l.Parameters),
            HtmlPage.NumCell(l.TrainableParameters.ToString("N0", inv), l.TrainableParameters),
        })).ToList();
        long total = layers.Sum(l => l.Parameters), trainable = layers.Sum(l => l.TrainableParameters);
        rows.Add(HtmlPage.Row(new[]
        {
            "<td></td>", HtmlPage.Cell("Total"), "<td></td>", "<td></td>", "<td></td>",
            HtmlPage.NumCell(total.ToString("N0", inv), total), HtmlPage.NumCell(trainable.ToString("N0", inv), trainable),
        }, "total"));
        page.Table("model", new[] { ("#", true), ("Layer", false), ("Type", false), ("Settings", false), ("Output shape", false), ("Parameters", true), ("Trainable", true) }, rows);
    }

    private static string ParameterCount(ModelSpec model)
    {
        try
        {
            return model.ParameterCount.ToString("N0", CultureInfo.InvariantCulture);
        }
        catch (MnistCnnException)
        {
            return "?";
        }
    }

    private static string Format(object? value) => value switch
    {
        null => "(default)",
        double d => d.ToString("G", CultureInfo.InvariantCulture),
        float f => f.ToString("G", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>What the layers see for the first test image, when the run still holds its model and it has a convolution.</summary>
    /// <summary>
    /// What the layers see for the first test image, with the run's model: the one it holds, else the one saved in its
    /// model folder. Null without a test split, a model or a convolution.
    /// </summary>
    private static IReadOnlyList<FeatureMapImage>? Features(TrainingResult result, DataSplit? test)
    {
        if (test is not { Count: > 0 }) return null;
        TrainedModel? loaded = null;
        try
        {
            var model = result.TrainedModel is { IsDisposed: false } held ? held
                : result.ModelPath is { } saved && File.Exists(Path.Combine(saved, ModelStore.ManifestFile)) ? loaded = ModelStore.Load(saved) : null;
            if (model is null || !model.Spec.Layers.Any(l => l is Conv2DSpec) || test.Height != model.Spec.Input.Height || test.Width != model.Spec.Input.Width) return null;
            return FeatureMaps.Draw(model, test.Image(0));
        }
        finally
        {
            loaded?.Dispose();
        }
    }

    /// <summary>Writes the feature pictures, first removing those of an earlier report (its layers may have had other names).</summary>
    private static void SaveFeatures(string folder, IReadOnlyList<FeatureMapImage>? features)
    {
        foreach (var old in Directory.EnumerateFiles(folder, "features-*.png").Concat(Directory.EnumerateFiles(folder, "filters-*.png")).ToArray())
        {
            Save(folder, Path.GetFileName(old), null);
        }
        if (features is not null) FeatureMaps.Write(folder, features);
    }

    private static string? Save(string folder, string name, byte[]? png)
    {
        string path = Path.Combine(folder, name);
        if (png is null)
        {
            try
            {
                if (File.Exists(path)) File.Delete(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new MnistCnnException(ReportingErrorIds.ReportWriteFailed, ErrorKind.ResourceUnavailable, $"Could not remove the old '{path}': {ex.Message}", path, ex);
            }
            return null;
        }
        PictureFiles.Write(path, png);
        return path;
    }
}
