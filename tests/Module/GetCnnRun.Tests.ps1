# Get-CnnRun: runs read back from run folders' journals (one folder, or a folder of them; by path or piped), with
# their metrics and parameters as properties; the server parameter set without a tracking server says so.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $work = Join-Path ([IO.Path]::GetTempPath()) "mnistcnn-getrun-$PID"
    $runs = Join-Path $work 'runs'
    $null = New-Item -ItemType Directory -Force $runs
    $data = New-SyntheticDataset -TrainCount 64 -TestCount 32
    $model = $data | New-CnnModel
    $first = $model | Start-CnnTraining -Epochs 1 -Seed 1 -Threads 1 -NoReport -RunName first -OutputPath (Join-Path $runs 'first') -Tag @{ team = 'vision' }
    $second = $model | Start-CnnTraining -Epochs 2 -Seed 2 -Threads 1 -NoReport -RunName second -OutputPath (Join-Path $runs 'second')
}
AfterAll { Remove-Item -Recurse -Force $work -ErrorAction Ignore }

Describe 'Get-CnnRun -Path' {
    It 'reads one run folder: name, status, tags, and its final metrics and parameters as properties' {
        $run = Get-CnnRun -Path $first.OutputPath
        @($run).Count | Should -Be 1
        $run | Should -BeOfType MnistCnn.Core.Tracking.TrackedRun
        $run.PSObject.TypeNames[0] | Should -Be 'MnistCnn.TrackedRun'
        $run.RunName | Should -Be 'first'
        "$($run.Status)" | Should -Be 'Finished'
        $run.RunId | Should -Be $first.RunId
        $run.Tags['team'] | Should -Be 'vision'
        $run.TestAccuracy | Should -Be $first.TestAccuracy
        $run.Epochs | Should -Be 1
        $run.BatchSize | Should -Be 64
        $run.BatchSize | Should -BeOfType [long]
    }

    It 'lists every run under a folder of run folders, and takes folders from the pipeline' {
        @(Get-CnnRun -Path $runs).RunName | Sort-Object | Should -Be @('first', 'second')
        (Get-Item $second.OutputPath | Get-CnnRun).RunName | Should -Be 'second'
    }

    It 'finds no runs in a folder without run folders' {
        $empty = Join-Path $work 'empty'
        $null = New-Item -ItemType Directory -Force $empty
        @(Get-CnnRun -Path $empty -ErrorAction Stop) | Should -HaveCount 0
    }
}

Describe 'Get-CnnRun from a tracking server' {
    It 'writes TrackingUriMissing without -TrackingUri or MLFLOW_TRACKING_URI' {
        $env:MLFLOW_TRACKING_URI | Should -BeNullOrEmpty
        $null = Get-CnnRun -Experiment tests -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors[0].FullyQualifiedErrorId | Should -Be 'TrackingUriMissing,MnistCnn.Cmdlets.GetCnnRunCommand'
    }
}
