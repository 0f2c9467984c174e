using MnistCnn.Core.Experiments.Spec;
using MnistCnn.Core.Tests.Experiments;

namespace MnistCnn.Core.Tests.Hostile;

/// <summary>Specs built to crash, hang or exhaust the reader (issue #12): each gets a positioned diagnostic instead.</summary>
public sealed class HostileSpecTests : IDisposable
{
    private readonly SpecFiles files = new();

    public void Dispose() => files.Dispose();

    private static void At(SpecDiagnostic d, int line, int column) =>
        Assert.True((line, column) == (d.Line, d.Column), $"expected ({line},{column}) for: {d}");

    [Fact]
    public void RecursiveAliasIsAPositionedErrorNotAStackOverflow()
    {
        var path = files.Write("recursive.yaml", "training: &t", "  epochs: 1", "  self: *t");
        var d = SpecFiles.Single(SpecFiles.Problems(path), SpecCodes.YamlSyntax);
        At(d, 3, 9);
        Assert.Contains("'*t' refers to '&t', which contains it", d.Message, StringComparison.Ordinal);
        Assert.StartsWith(path + "(3,9): error MNC1001: ", d.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void TwentyThousandNestedBracketsStopAtTheDepthLimit()
    {
        var path = files.Write("deep.yaml", "model: " + new string('[', 20_000));
        var d = SpecFiles.Single(SpecFiles.Problems(path), SpecCodes.LimitExceeded);
        At(d, 1, 8 + SpecLimits.Default.MaxDepth - 1);
        Assert.Contains("more than 64 levels deep", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DeepButClosedNestingIsAlsoRefused()
    {
        var path = files.Write("deep-closed.yaml", "description: " + new string('[', 100) + new string(']', 100));
        SpecFiles.Single(SpecFiles.Problems(path), SpecCodes.LimitExceeded);
    }

    [Fact]
    public void BillionLaughsStopsAtTheValueLimitWithoutExpanding()
    {
        var lines = new List<string> { "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]" };
        for (int i = 1; i <= 9; i++)
        {
            lines.Add($"a{i}: &a{i} [{string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 10))}]");
        }
        lines.Add("description: *a9");
        var path = files.Write("laughs.yaml", lines.ToArray());
        long before = GC.GetAllocatedBytesForCurrentThread();
        var d = SpecFiles.Single(SpecFiles.Problems(path), SpecCodes.LimitExceeded);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("past 100000 values", d.Message, StringComparison.Ordinal);
        Assert.Contains("alias", d.Message, StringComparison.Ordinal);
        // 10^10 expanded values would be hundreds of GB; the reader stops after at most 100,000 copies.
        Assert.True(allocated < 200L << 20, $"allocated {allocated} bytes");
        Assert.True(d.Line is >= 5 and <= 11, d.ToString());
    }

    [Fact]
    public void AnAliasWithinTheLimitsStillWorks()
    {
        var path = files.Write("alias.yaml", "x-common: &common", "  epochs: 2", "  batchSize: 16", "training: *common");
        // x-common is not a spec key, so the only problem must be about it, and training takes the aliased values.
        var problems = SpecFiles.Problems(path);
        var d = Assert.Single(problems);
        Assert.Equal(SpecCodes.UnknownKey, d.Code);
        var ok = files.Write("alias-ok.yaml", "training: &t", "  epochs: 2", "description: *t");
        var wrong = SpecFiles.Single(SpecFiles.Problems(ok), SpecCodes.WrongType);
        Assert.Contains("description", wrong.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ATagThatIsNotAValidUriIsASyntaxErrorNotAnArgumentException()
    {
        // Found by the spec fuzzer (seed 644648388): YamlDotNet refuses "!!binar[y" with an ArgumentException.
        var path = files.Write("bad-tag.yaml", "name: fine", "training:", "  epochs: !!binar[y 3");
        var d = SpecFiles.Single(SpecFiles.Problems(path), SpecCodes.YamlSyntax);
        Assert.Equal(3, d.Line);
        Assert.Contains("Global tags must be valid URIs", d.Message, StringComparison.Ordinal);
        Assert.Contains("quote the value if it is text", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AliasToAnUndefinedAnchorIsPositioned()
    {
        var path = files.Write("undefined.yaml", "training:", "  epochs: *nothing");
        var d = SpecFiles.Single(SpecFiles.Problems(path), SpecCodes.YamlSyntax);
        At(d, 2, 11);
        Assert.Contains("no anchor '&nothing'", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OversizedFileIsRefusedBeforeItIsRead()
    {
        var path = files.Write("huge.yaml", "# " + new string('x', (int)SpecLimits.Default.MaxFileBytes));
        var d = SpecFiles.Single(SpecFiles.Problems(path), SpecCodes.LimitExceeded);
        At(d, 1, 1);
        Assert.Contains("at most 1048576 bytes", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TabIsReportedWhereItIs()
    {
        var path = files.Write("tab.yaml", "name: tabbed", "training:", "  epochs: 1", "\tbatchSize: 2");
        var d = SpecFiles.Single(SpecFiles.Problems(path), SpecCodes.YamlSyntax);
        At(d, 4, 1);
        Assert.Contains("spaces only", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SpecPathThatIsAFolderSaysSo()
    {
        files.Write("folder/a.yaml", "name: a");
        string folder = Path.Combine(files.Root, "folder");
        var d = SpecFiles.Single(SpecFiles.Problems(folder), SpecCodes.FileUnreadable);
        Assert.Contains("is a folder, not a spec file (it holds a.yaml)", d.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("denied", d.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void ExtendsNamingAFolderSaysSo()
    {
        Directory.CreateDirectory(Path.Combine(files.Root, "base"));
        var path = files.Write("child.yaml", "extends: base");
        var d = SpecFiles.Single(SpecFiles.Problems(path), SpecCodes.ExtendsInvalid);
        At(d, 1, 10);
        Assert.Contains("is a folder", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DiagnosticLineIsTheMsBuildForm()
    {
        var path = files.Write("deep2.yaml", "a: " + new string('{', 500));
        var d = SpecFiles.Single(SpecFiles.Problems(path), SpecCodes.LimitExceeded);
        Assert.Matches(@"^.+deep2\.yaml\(1,\d+\): error MNC1013: ", d.ToString());
    }
}
