# The views in src/Cmdlets/MnistCnn.format.ps1xml: each names a real Core type and renders its columns.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $savedCulture = [cultureinfo]::CurrentCulture
    [cultureinfo]::CurrentCulture = [cultureinfo]::InvariantCulture
    function Get-Table($InputObject, [int] $Width = 250) { ($InputObject | Format-Table | Out-String -Width $Width) -replace '\x1b\[[0-9;]*m', '' }
    # A table readable at a console width: every column header whole on one line, no line wider than the console.
    function Assert-FitsWidth([string] $Text, [int] $Width, [string[]] $Columns) {
        $lines = @($Text -split '\r?\n' | Where-Object { $_.Trim() })
        $lines | ForEach-Object { $_.TrimEnd().Length | Should -BeLessOrEqual $Width -Because "'$_' must fit $Width columns" }
        $lines[0] | Should -Match ('^' + (($Columns | ForEach-Object { [regex]::Escape($_) }) -join '\s+') + '\s*$')
        # Only the last column may be cut short (with an ellipsis), as PowerShell does for long paths.
        $lines | Select-Object -Skip 2 | ForEach-Object { $_.TrimEnd() -replace '…$', '' | Should -Not -Match '…' }
    }
}
AfterAll { [cultureinfo]::CurrentCulture = $savedCulture }

Describe 'Format views' {
    It 'selects an existing Core type: <TypeName>' -ForEach @(
        @{ TypeName = 'MnistCnn.Core.Models.ModelDefinition' }, @{ TypeName = 'MnistCnn.Core.Models.LayerSummary' },
        @{ TypeName = 'MnistCnn.Core.Training.EpochResult' }, @{ TypeName = 'MnistCnn.Core.Training.TrainingResult' },
        @{ TypeName = 'MnistCnn.Core.Data.MnistDataset' }, @{ TypeName = 'MnistCnn.Core.Tracking.TrackedRun' },
        @{ TypeName = 'MnistCnn.Core.Prediction.Prediction' }, @{ TypeName = 'MnistCnn.Core.Models.TrainedModel' },
        @{ TypeName = 'MnistCnn.Core.Experiments.Running.ExperimentTrialResult' }, @{ TypeName = 'MnistCnn.Core.Experiments.Sweeps.ExperimentSpecCheck' },
        @{ TypeName = 'MnistCnn.Core.Tracking.PublishResult' }, @{ TypeName = 'MnistCnn.Core.Models.LayerSpec' }) {
        $TypeName -as [type] | Should -Not -BeNullOrEmpty
        Get-FormatData -TypeName $TypeName | Should -Not -BeNullOrEmpty
    }

    It 'shows tracked runs as RunName, Status, Experiment, Epochs, TestAccuracy, Duration, in 80 columns too' {
        $folder = Join-Path $TestDrive 'runs/keras-seed-20261126-123658'
        $data = New-SyntheticDataset -TrainCount 64 -TestCount 32
        $null = $data | New-CnnModel | Start-CnnTraining -Epochs 1 -Seed 1 -Threads 1 -OutputPath $folder -RunName keras-seed-20261126-123658 -NoReport
        $run = Get-CnnRun -Path (Split-Path $folder)
        $run.Status | Should -Be ([MnistCnn.Core.Training.RunStatus]::Finished)
        $run.Duration | Should -BeOfType [timespan]
        $columns = 'RunName', 'Status', 'Experiment', 'Epochs', 'TestAccuracy', 'Duration'
        foreach ($width in 80, 120) {
            $text = Get-Table $run $width
            Assert-FitsWidth $text $width $columns
            $text | Should -Match 'keras-seed-20261126-123658\s+Finished\s+\S+\s+1\s+\d+\.\d\d %\s+00:00:\d\d'
        }
        ($run | Format-List | Out-String) | Should -Match 'StartTime\s*:'
    }

    It 'shows a model as Name, Parameters, InputShape, Classes' {
        $text = Get-Table (New-CnnModel)
        $text | Should -Match 'Name\s+Parameters\s+InputShape\s+Classes'
        $text | Should -Match 'keras-seed\s+93,322\s+28x28x1\s+10'
    }

    It 'shows a model''s summary text in a list' {
        (New-CnnModel | Format-List | Out-String -Width 250) | Should -Match 'SummaryText\s*:\s*Model: "keras-seed"'
    }

    It 'shows layers as Name, Type, OutputShape, Parameters' {
        $text = Get-Table (New-CnnModel).Layers
        $text | Should -Match 'Name\s+Type\s+OutputShape\s+Parameters'
        $text | Should -Match 'conv2d_1\s+Conv2D\s+11x11x64\s+18,496'
    }

    It 'shows epochs with fixed decimals and a blank validation column when there is none' {
        $epochs = [MnistCnn.Core.Training.EpochResult]::new(2, 5, 0.123456, 0.98765, $null, $null, 0.001, 12.345, 4321.5),
            [MnistCnn.Core.Training.EpochResult]::new(3, 5, 0.1, 0.99, 0.05, 0.991, 0.001, 10, 5000)
        $text = Get-Table $epochs
        $text | Should -Match 'Epoch\s+Loss\s+Accuracy\s+ValLoss\s+ValAccuracy\s+Seconds\s+Images/s'
        $text | Should -Match '2/5\s+0\.1235\s+0\.9877\s+12\.3\s+4,322'
        $text | Should -Match '3/5\s+0\.1000\s+0\.9900\s+0\.0500\s+0\.9910\s+10\.0\s+5,000'
    }

    It 'shows a dataset as Name, Train, Test, Source' {
        $text = Get-Table (New-SyntheticDataset -TrainCount 30 -TestCount 20)
        $text | Should -Match 'Name\s+Train\s+Test\s+Source'
        $text | Should -Match 'Mnist\s+30x28x28\s+20x28x28\s+synthetic'
    }

    It 'lists a dataset with its label counts, as the tutorial prints them' {
        $data = New-SyntheticDataset -TrainCount 30 -TestCount 20
        $text = $data | Format-List | Out-String
        $text | Should -Match ('TrainLabelCounts\s*:\s*' + ($data.TrainLabelCounts -join ' '))
        $text | Should -Match 'Train\s*:\s*30x28x28'
        ($data.TrainLabelCounts | Measure-Object -Sum).Sum | Should -Be 30
    }

    It 'shows a run as RunName, Status, Epochs, TestAccuracy, TrainTime, OutputPath' {
        $model = New-CnnModel
        $run = [MnistCnn.Core.Training.TrainingResult]@{
            RunId = 'r1'; RunName = 'tutorial'; Model = $model.Spec; Options = [MnistCnn.Core.Training.TrainingOptions]::new()
            Dataset = 'Mnist'; Status = 'Finished'; Device = 'cpu'; StartTime = [datetimeoffset]::Now; EndTime = [datetimeoffset]::Now
            OutputPath = '/tmp/runs/tutorial'
            Epochs = [MnistCnn.Core.Training.EpochResult[]]@([MnistCnn.Core.Training.EpochResult]::new(1, 1, 0.2, 0.9, $null, $null, 0.001, 7.26, 100))
            Test = [MnistCnn.Core.Training.EvaluationResult]::new(0.05, 0.9912, 10, [int[]]::new(0), [int[]]::new(0), [float[]]::new(0))
        }
        $text = Get-Table $run
        $text | Should -Match '^\s*RunName\s+Status\s+Epochs\s+TestAccuracy\s+TrainTime\s+OutputPath'
        $text | Should -Match 'tutorial\s+Finished\s+1\s+99\.12 %\s+00:00:07\s+/tmp/runs/tutorial'
        $run.TrainTime | Should -Be ([timespan]::FromSeconds(7.26))
        $run.Duration | Should -BeOfType [timespan]
        Assert-FitsWidth (Get-Table $run 80) 80 'RunName', 'Status', 'Epochs', 'TestAccuracy', 'TrainTime', 'OutputPath'
    }

    Context 'the objects the other cmdlets output' {
        BeforeAll {
            $data = New-SyntheticDataset -TrainCount 64 -TestCount 32
            $run = $data | New-CnnModel | Start-CnnTraining -Epochs 1 -Seed 1 -Threads 1 -NoReport -OutputPath (Join-Path $TestDrive 'runs/view')
        }
        AfterAll { $run.TrainedModel.Dispose() }

        It 'shows predictions as Source, Label, ClassName, Confidence, Actual, Correct, Top in <Width> columns' -ForEach @(@{ Width = 80 }, @{ Width = 120 }) {
            $files = $run | Invoke-CnnPredict -Path (Join-Path $RepoRoot 'examples/digits/digit-3.png')
            $text = Get-Table $files $Width
            Assert-FitsWidth $text $Width 'Source', 'Label', 'ClassName', 'Confidence', 'Actual', 'Correct', 'Top'
            # A file shows by its name, not its whole path; the top three as "class probability".
            $text | Should -Match '(?m)^digit-3\.png\s+\d\s+\d\s+\d+\.\d %\s+\d \d+ %, \d \d+ %, \d \d+ %'
            $indexed = Get-Table ($run | Invoke-CnnPredict -Dataset $data -Index 5) $Width
            $indexed | Should -Match '\[5\]\s+\d\s+\d\s+\d+\.\d %\s+\d\s+(True|False)'
        }

        It 'shows a trained model as Name, Dataset, Parameters, TestAccuracy, Device, Path (not its network)' {
            $text = Get-Table $run.TrainedModel 80
            Assert-FitsWidth $text 80 'Name', 'Dataset', 'Parameters', 'TestAccuracy', 'Device', 'Path'
            $text | Should -Match 'keras-seed\s+Mnist\s+93,322\s+\d+\.\d\d %\s+CPU\s+/'
            $text | Should -Not -Match 'IsDisposed|Network'
        }

        It 'shows spec checks as IsValid, Name, Trials, Problems, Path' {
            Push-Location $RepoRoot
            try { $checks = Test-CnnExperiment experiments/fast.yaml, experiments/optimizer-sweep.yaml; $text = Get-Table $checks 80 }
            finally { Pop-Location }
            Assert-FitsWidth $text 80 'IsValid', 'Name', 'Trials', 'Problems', 'Path'
            $text | Should -Match 'True\s+optimizer-sweep\s+12\s+0\s+experiments[/\\]optimizer-sweep\.yaml'
        }

        It 'returns files from Export-* as provider items, shown in PowerShell''s own file view (Directory, mode, size, name)' {
            $file = $data | Export-MnistImage -Path (Join-Path $TestDrive 'grid.png') -Count 4
            $file | Should -BeOfType [IO.FileInfo]
            $text = Get-Table $file 80
            $text | Should -Match 'Directory:'
            $text | Should -Match ('Directory: ' + [regex]::Escape($TestDrive))
            $text | Should -Match 'LastWriteTime\s+(Length|Size)\s+Name'
            # A bare FileInfo would show blank mode and size columns.
            $text | Should -Match '\d{4}\s+\d{1,2}:\d\d\s+\d+\s+grid\.png'
            $file.PSParentPath | Should -Not -BeNullOrEmpty
        }

        It 'shows layer specs as Kind and a one-line Layer description' {
            $text = Get-Table @((New-CnnLayer Conv2D -Filters 32 -KernelSize 3), (New-CnnLayer Dropout -Rate 0.25)) 80
            Assert-FitsWidth $text 80 'Kind', 'Layer'
            $text | Should -Match 'conv2d\s+Conv2D 32 3x3 relu'
        }

        It 'shows publish results as RunName, Outcome, Sent, Pending, Experiment, Error in 80 columns' {
            $published = [MnistCnn.Core.Tracking.PublishResult]::new('/tmp/x', 'rid', 'keras-seed-20261126-120000', 'http://127.0.0.1:5000',
                'mnist', 'abc', 'Created', 12, 16, 5, 5, 0, 0, 0, $null)
            $text = Get-Table $published 80
            Assert-FitsWidth $text 80 'RunName', 'Outcome', 'Sent', 'Pending', 'Experiment', 'Error'
            $text | Should -Match 'keras-seed-20261126-120000\s+Created\s+38\s+0\s+mnist'
        }

        It 'shows trial results as Trial, TrialId, Status, TestAccuracy, Epochs, TrainTime, Note' {
            $trial = [MnistCnn.Core.Experiments.Running.ExperimentTrialResult]@{
                Experiment = 'optimizer-sweep'; TrialIndex = 3; TrialCount = 12; TrialId = 'optimizer=adam,lr=0.001'; TrialName = 't3'
                Settings = [Collections.Generic.Dictionary[string, object]]::new(); Status = 'Finished'; TestAccuracy = 0.9912
                EpochsCompleted = 5; TrainSeconds = 61.5; OutputPath = '/tmp/t3'; SpecHash = 'h'; Skipped = $true
                StartTime = [datetimeoffset]'2026-11-26T12:00:00Z'; EndTime = [datetimeoffset]'2026-11-26T12:01:10Z'
            }
            $trial.Duration | Should -Be ([timespan]::FromSeconds(70))
            $trial.TrainTime | Should -Be ([timespan]::FromSeconds(61.5))
            $text = Get-Table $trial 80
            Assert-FitsWidth $text 80 'Trial', 'TrialId', 'Status', 'TestAccuracy', 'Epochs', 'TrainTime', 'Note'
            $text | Should -Match '3\s+optimizer=adam,lr=0\.001\s+Finished\s+99\.12 %\s+5\s+00:01:01\s+skipped'
        }
    }
}
