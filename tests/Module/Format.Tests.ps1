# The views in src/Cmdlets/MnistCnn.format.ps1xml: each names a real Core type and renders its columns.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $savedCulture = [cultureinfo]::CurrentCulture
    [cultureinfo]::CurrentCulture = [cultureinfo]::InvariantCulture
    function Get-Table($InputObject) { ($InputObject | Format-Table | Out-String -Width 250) -replace '\x1b\[[0-9;]*m', '' }
}
AfterAll { [cultureinfo]::CurrentCulture = $savedCulture }

Describe 'Format views' {
    It 'selects an existing Core type: <TypeName>' -ForEach @(
        @{ TypeName = 'MnistCnn.Core.Models.ModelDefinition' }, @{ TypeName = 'MnistCnn.Core.Models.LayerSummary' },
        @{ TypeName = 'MnistCnn.Core.Training.EpochResult' }, @{ TypeName = 'MnistCnn.Core.Training.TrainingResult' },
        @{ TypeName = 'MnistCnn.Core.Data.MnistDataset' }, @{ TypeName = 'MnistCnn.Core.Tracking.TrackedRun' }) {
        $TypeName -as [type] | Should -Not -BeNullOrEmpty
        Get-FormatData -TypeName $TypeName | Should -Not -BeNullOrEmpty
    }

    It 'shows tracked runs as RunName, Status, Experiment, Epochs, TestAccuracy, Duration, Started, Source' {
        $folder = Join-Path $TestDrive 'runs/tracked'
        $data = New-SyntheticDataset -TrainCount 64 -TestCount 32
        $null = $data | New-CnnModel | Start-CnnTraining -Epochs 1 -Seed 1 -Threads 1 -OutputPath $folder -RunName tracked -NoReport
        $text = Get-Table (Get-CnnRun -Path (Split-Path $folder))
        $text | Should -Match 'RunName\s+Status\s+Experiment\s+Epochs\s+TestAccuracy\s+Duration\s+Started\s+Source'
        $text | Should -Match 'tracked\s+FINISHED\s+\S+\s+1\s+\d+\.\d\d %\s+00:00:\d\d\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+\S+'
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

    It 'shows a run as Name, Status, Epochs, TestAccuracy, TrainSeconds, OutputPath' {
        $model = New-CnnModel
        $run = [MnistCnn.Core.Training.TrainingResult]@{
            RunId = 'r1'; RunName = 'tutorial'; Model = $model.Spec; Options = [MnistCnn.Core.Training.TrainingOptions]::new()
            Dataset = 'Mnist'; Status = 'Finished'; Device = 'cpu'; StartTime = [datetimeoffset]::Now; EndTime = [datetimeoffset]::Now
            OutputPath = '/tmp/runs/tutorial'
            Epochs = [MnistCnn.Core.Training.EpochResult[]]@([MnistCnn.Core.Training.EpochResult]::new(1, 1, 0.2, 0.9, $null, $null, 0.001, 7.26, 100))
            Test = [MnistCnn.Core.Training.EvaluationResult]::new(0.05, 0.9912, 10, [int[]]::new(0), [int[]]::new(0), [float[]]::new(0))
        }
        $text = Get-Table $run
        $text | Should -Match 'Name\s+Status\s+Epochs\s+TestAccuracy\s+TrainSeconds\s+OutputPath'
        $text | Should -Match 'tutorial\s+Finished\s+1\s+99\.12 %\s+7\.3\s+/tmp/runs/tutorial'
    }
}
