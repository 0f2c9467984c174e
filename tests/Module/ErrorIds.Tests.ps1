# Error ids the cmdlets raise that no other Pester file provokes, each with its own bad input; the id is asserted as
# FullyQualifiedErrorId with its category. The full list of ids is docs/error-ids.md; ErrorIdTests (xUnit) fails when
# an id is asserted by no test.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $data = New-SyntheticDataset -TrainCount 64 -TestCount 32
    $folder = Join-Path $TestDrive 'run'
    $run = $data | New-CnnModel | Start-CnnTraining -Epochs 1 -Seed 1 -Threads 1 -OutputPath $folder -NoReport
    # A file where a folder must go: nothing can be written below it.
    $file = Join-Path $TestDrive 'a-file'
    Set-Content -Path $file -Value 'not a folder'
}

AfterAll { $run.TrainedModel.Dispose() }

Describe 'Cmdlet error ids' {
    It 'InvalidTrainingOption: an -Options value that does not convert to the option type names the option' {
        try { $data | New-CnnModel | Start-CnnTraining -Options @{ Epochs = 'many' } -NoReport -OutputPath (Join-Path $TestDrive 'never') -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'InvalidTrainingOption,MnistCnn.Cmdlets.StartCnnTrainingCommand'
        "$($err.CategoryInfo.Category)" | Should -Be 'InvalidArgument'
        $err.Exception.Message | Should -BeLike "Training option 'Epochs' cannot be 'many'*"
        Test-Path (Join-Path $TestDrive 'never') | Should -BeFalse -Because 'nothing is trained with options that do not bind'
    }

    It 'ModelSaveFailed: Save-CnnModel to a folder that cannot be created says where and why' {
        $target = Join-Path $file 'model'
        try { $run | Save-CnnModel -Path $target -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'ModelSaveFailed,MnistCnn.Cmdlets.SaveCnnModelCommand'
        "$($err.CategoryInfo.Category)" | Should -Be 'WriteError'
        $err.TargetObject | Should -Be $target
        Get-Content -Raw $file | Should -Be "not a folder$([Environment]::NewLine)"
    }

    It 'ModelExportFailed: Export-CnnModel to a file that cannot be written is a non-terminating error' {
        $target = Join-Path $file 'model.onnx'
        $out = @($run | Export-CnnModel -Path $target -ErrorVariable err -ErrorAction SilentlyContinue)
        $out.Count | Should -Be 0
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -Be 'ModelExportFailed,MnistCnn.Cmdlets.ExportCnnModelCommand'
        "$($err[0].CategoryInfo.Category)" | Should -Be 'WriteError'
        $err[0].Exception.Message | Should -BeLike "Could not write '$target'*"
    }

    It 'ReportFolderMissing: a result that has no run folder needs -Path' {
        # A result made outside Start-CnnTraining (a Core run without an output folder): it says where nothing is.
        $result = [MnistCnn.Core.Training.TrainingResult]@{
            RunId = 'elsewhere-1'; RunName = 'elsewhere'; Model = $run.Model; Options = $run.Options; Dataset = 'synthetic'
            Epochs = [MnistCnn.Core.Training.EpochResult[]]@($run.Epochs); Status = 'Finished'; Device = 'cpu'
            StartTime = $run.StartTime; EndTime = $run.EndTime
        }
        { $result | Export-CnnReport -ErrorAction Stop } | Should -Throw -ErrorId 'ReportFolderMissing,MnistCnn.Cmdlets.ExportCnnReportCommand'
        try { $result | Export-CnnReport -ErrorAction Stop } catch { $err = $_ }
        "$($err.CategoryInfo.Category)" | Should -Be 'InvalidArgument'
        $err.Exception.Message | Should -Be "Run 'elsewhere' has no output folder; give one with -Path."
    }

    It 'RunPublishFailed: a run the server never took is reported, with the result saying Failed' {
        # Nothing listens on port 9: every request is refused (after the client's retries), so nothing is published.
        $out = @(Publish-CnnRun $folder -TrackingUri 'http://127.0.0.1:9' -ErrorVariable err -ErrorAction SilentlyContinue)
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -Be 'RunPublishFailed,MnistCnn.Cmdlets.PublishCnnRunCommand'
        "$($err[0].CategoryInfo.Category)" | Should -Be 'ConnectionError'
        $err[0].Exception.Message | Should -BeLike "*Run Publish-CnnRun again when the server is back."
        $out.Count | Should -Be 1
        $out[0].Outcome | Should -Be 'Failed'
        $out[0].Pending | Should -BeGreaterThan 0
    }
}
