using System.Diagnostics;
using System.Text.RegularExpressions;
using MnistCnn.Core.Reporting;

namespace MnistCnn.Integration.Tests.Reporting;

/// <summary>
/// Opens the reports in headless Chromium (Debian package <c>chromium</c>) from disk, offline, and checks that
/// they render and that the inline script runs. Skipped, visibly, where Chromium is not installed.
/// </summary>
public class ReportBrowserTests
{
    private static readonly string? Chromium = new[] { "chromium", "chromium-browser", "google-chrome" }
        .SelectMany(name => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Select(dir => Path.Combine(dir, name)))
        .FirstOrDefault(File.Exists);

    private const string SkipReason = "Chromium is not installed (apt-get install -y chromium); the report was not opened in a browser.";

    [SkippableFact]
    public void RunReportRendersInHeadlessChromium()
    {
        Skip.If(Chromium is null, SkipReason);
        using var temp = new Fakes.TempFolder();
        var test = Fakes.Split(300);
        var files = RunReport.Write(Path.Combine(temp.Path, "run"), Fakes.Result(epochs: 6, test: Fakes.Evaluation(test.Labels)), test, null);
        string screenshot = Path.Combine(temp.Path, "screenshot.png");

        Run(temp.Path, $"--screenshot={screenshot}", "--window-size=1200,1600", new Uri(files.Html).AbsoluteUri);

        Assert.True(File.Exists(screenshot), "Chromium wrote no screenshot.");
        using var bitmap = Fakes.Decode(screenshot);
        Assert.Equal(1200, bitmap.Width);
        Assert.Equal(1600, bitmap.Height);
        // Text, tables and the embedded charts make many colours and a good share of non-white pixels.
        Assert.True(Fakes.DistinctColours(bitmap) > 200, "the screenshot has too few colours to hold the charts");
        Assert.True(Fakes.DarkPixels(bitmap, 0, 0, bitmap.Width, bitmap.Height) > 5_000, "the screenshot is nearly blank");
    }

    [SkippableFact]
    public void SweepReportSortsItsTableInChromium()
    {
        Skip.If(Chromium is null, SkipReason);
        using var temp = new Fakes.TempFolder();
        var trials = Fakes.SweepTrials();
        var files = SweepReport.Write(temp.Path, trials, "Sweep");
        // The page lists trials in order (trial-0 first); its script sorts by test accuracy, best (trial-1) first.
        string before = Fakes.Section(File.ReadAllText(files.Html), "trials");
        Assert.Equal("trial-0", FirstRunName(before));

        string dom = Run(temp.Path, "--dump-dom", new Uri(files.Html).AbsoluteUri);

        string after = Fakes.Section(dom, "trials");
        Assert.Equal("trial-1", FirstRunName(after));
        Assert.Contains("data-order=\"desc\"", after, StringComparison.Ordinal);
    }

    private static string FirstRunName(string table) =>
        Regex.Match(table, "<tbody>\\s*<tr[^>]*>.*?<td>(trial-\\d)</td>", RegexOptions.Singleline).Groups[1].Value;

    /// <summary>Runs headless Chromium with a fresh profile and no network use; returns its standard output.</summary>
    private static string Run(string workFolder, params string[] arguments)
    {
        var info = new ProcessStartInfo(Chromium!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[]
        {
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--hide-scrollbars",
            "--user-data-dir=" + Path.Combine(workFolder, "profile-" + Guid.NewGuid().ToString("N")),
        })
        {
            info.ArgumentList.Add(a);
        }
        foreach (var a in arguments) info.ArgumentList.Add(a);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("Chromium did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(180_000))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("Chromium did not finish within 180 s.");
        }
        Assert.True(process.ExitCode == 0, $"Chromium exited with {process.ExitCode}: {stderr.Result}");
        return stdout.Result;
    }
}
