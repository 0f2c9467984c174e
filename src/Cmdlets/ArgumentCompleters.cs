using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Text.Json;
using MnistCnn.Core.Models;
using MnistCnn.Core.Runs;
using MnistCnn.Core.Tracking;
using MnistCnn.Core.Training;

namespace MnistCnn.Cmdlets;

/// <summary>
/// Tab completion for the module's paths and names. Paths come from PowerShell's own file-name completion (so
/// quoting, ~, relative paths and wildcards such as <c>runs/*seed*</c> work as everywhere else) and are then narrowed
/// to what the parameter accepts.
/// </summary>
internal static class PathCompletion
{
    public static IEnumerable<CompletionResult> Complete(string? wordToComplete, Func<string, bool> keepFile, Func<string, bool> isPreferredFolder)
    {
        var folders = new List<CompletionResult>();
        var preferred = new List<CompletionResult>();
        var files = new List<CompletionResult>();
        foreach (var result in CompletionCompleters.CompleteFilename(wordToComplete ?? ""))
        {
            string path = result.ToolTip;
            if (result.ResultType == CompletionResultType.ProviderContainer)
            {
                (isPreferredFolder(path) ? preferred : folders).Add(result);
            }
            else if (keepFile(path))
            {
                files.Add(result);
            }
        }
        // What the parameter takes comes first; other folders stay, to walk into.
        return preferred.Concat(files).Concat(folders);
    }
}

/// <summary>Experiment spec files: *.yaml and *.yml, and folders to find them in.</summary>
public sealed class SpecPathCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        PathCompletion.Complete(wordToComplete,
            file => file.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || file.EndsWith(".yml", StringComparison.OrdinalIgnoreCase),
            _ => false);
}

/// <summary>Run folders (with result.json, journal.jsonl or a checkpoint) first, then other folders.</summary>
public sealed class RunFolderCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        PathCompletion.Complete(wordToComplete, _ => false, IsRunFolder);

    internal static bool IsRunFolder(string folder) =>
        File.Exists(Path.Combine(folder, RunFiles.Result)) || File.Exists(Path.Combine(folder, RunJournal.FileName)) ||
        Directory.Exists(Path.Combine(folder, RunFiles.Checkpoint));
}

/// <summary>Saved models (model.json) and the run folders that hold one, then other folders.</summary>
public sealed class ModelFolderCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        PathCompletion.Complete(wordToComplete, _ => false, folder =>
            File.Exists(Path.Combine(folder, ModelStore.ManifestFile)) || File.Exists(Path.Combine(folder, RunFiles.Model, ModelStore.ManifestFile)));
}

/// <summary>
/// Experiment names known on this machine: those of the journaled runs under $env:MNISTCNN_RUNS_DIR and ./runs,
/// and $env:MLFLOW_EXPERIMENT_NAME. (No server is asked: completion must stay instant and work offline.)
/// </summary>
public sealed class ExperimentNameCompleter : IArgumentCompleter
{
    private const int MaxJournals = 2000;

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        string word = (wordToComplete ?? "").Trim('\'', '"');
        var pattern = WildcardPattern.Get(word + "*", WildcardOptions.IgnoreCase);
        return KnownNames(CurrentLocation())
            .Where(pattern.IsMatch)
            .Order(StringComparer.OrdinalIgnoreCase)
            .Select(name => new CompletionResult(Quote(name), name, CompletionResultType.ParameterValue, name));
    }

    internal static IEnumerable<string> KnownNames(string currentFolder)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        if (Environment.GetEnvironmentVariable("MLFLOW_EXPERIMENT_NAME") is { Length: > 0 } configured) names.Add(configured);
        var roots = new[] { Environment.GetEnvironmentVariable("MNISTCNN_RUNS_DIR"), Path.Combine(currentFolder, "runs") }
            .Where(r => !string.IsNullOrEmpty(r) && Directory.Exists(r)).Distinct(StringComparer.Ordinal);
        foreach (var root in roots)
        {
            IEnumerable<string> journals;
            try
            {
                journals = Directory.EnumerateFiles(root!, RunJournal.FileName, new EnumerationOptions { RecurseSubdirectories = true, MaxRecursionDepth = 4, IgnoreInaccessible = true }).Take(MaxJournals).ToList();
            }
            catch (IOException)
            {
                continue;
            }
            foreach (var journal in journals)
            {
                if (FirstRunEventExperiment(journal) is { Length: > 0 } name) names.Add(name);
            }
        }
        return names;
    }

    /// <summary>The experiment of a journal's run event (its first line); null when unreadable.</summary>
    private static string? FirstRunEventExperiment(string journal)
    {
        try
        {
            using var reader = new StreamReader(journal);
            var line = reader.ReadLine();
            if (string.IsNullOrWhiteSpace(line)) return null;
            using var doc = JsonDocument.Parse(line);
            return doc.RootElement.TryGetProperty("type", out var type) && type.GetString() == RunJournal.RunType &&
                doc.RootElement.TryGetProperty("experiment", out var experiment) && experiment.ValueKind == JsonValueKind.String
                ? experiment.GetString()
                : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
        }
    }

    /// <summary>The session's current file-system folder (completion runs on the pipeline thread, so a script block may ask).</summary>
    private static string CurrentLocation()
    {
        try
        {
            return ScriptBlock.Create("(Get-Location -PSProvider FileSystem).ProviderPath").Invoke().FirstOrDefault()?.BaseObject as string
                ?? Environment.CurrentDirectory;
        }
        catch (RuntimeException)
        {
            return Environment.CurrentDirectory;
        }
    }

    private static string Quote(string name) =>
        name.IndexOfAny([' ', '\'', '"', '$', '`', ';', '(', ')', '{', '}', '@', '&', '#', ',', '|', '<', '>']) >= 0
            ? "'" + name.Replace("'", "''", StringComparison.Ordinal) + "'"
            : name;
}
