# Start-CnnTraining -Augment and data.augmentation in specs, through the module. What each distortion does and
# that it is seeded per run, epoch and batch is tested in tests/Core.Tests/Training/AugmentationTests.cs.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $data = New-SyntheticDataset -TrainCount 96 -TestCount 32
}

Describe 'Start-CnnTraining -Augment' {
    It 'trains on distorted batches, reproducibly, and records the settings' {
        $folder = Join-Path $TestDrive 'augmented'
        $a = $data | New-CnnModel | Start-CnnTraining -Augment -Epochs 1 -Seed 3 -Threads 1 -OutputPath $folder -NoReport
        $b = $data | New-CnnModel | Start-CnnTraining -Augment -Epochs 1 -Seed 3 -Threads 1 -NoReport
        $plain = $data | New-CnnModel | Start-CnnTraining -Epochs 1 -Seed 3 -Threads 1 -NoReport
        $a.Options.Augmentation | Should -Be ([MnistCnn.Core.Training.AugmentationOptions]::Default)
        $a.Epochs[0].Loss | Should -Be $b.Epochs[0].Loss
        $a.Epochs[0].Loss | Should -Not -Be $plain.Epochs[0].Loss
        $plain.Options.Augmentation | Should -BeNullOrEmpty
        $settings = (Get-Content (Join-Path $folder 'result.json') -Raw | ConvertFrom-Json).settings
        $settings.augmentation.rotation | Should -Be 10
        $settings.augmentation.elasticSigma | Should -Be 4
    }

    It 'takes other ranges through -Options and refuses bad ones (TrainingOptionsInvalid)' {
        $mild = [MnistCnn.Core.Training.AugmentationOptions]::new(0.05, 5, 0.05, 0, 4)
        ($data | New-CnnModel | Start-CnnTraining -Epochs 1 -Seed 1 -Threads 1 -NoReport -Options @{ Augmentation = $mild }).Options.Augmentation.Rotation | Should -Be 5
        $bad = [MnistCnn.Core.Training.AugmentationOptions]::new(1.5, 5, 0.05, 0, 4)
        { $data | New-CnnModel | Start-CnnTraining -Epochs 1 -NoReport -Options @{ Augmentation = $bad } } |
            Should -Throw -ErrorId 'TrainingOptionsInvalid,MnistCnn.Cmdlets.StartCnnTrainingCommand'
    }

    It 'reads data.augmentation from a spec, and reports a bad value at its line' {
        $good = Join-Path $TestDrive 'good.yaml'
        Set-Content $good "data:`n  augmentation:`n    rotation: 12`n"
        (Test-CnnExperiment $good) | Should -BeTrue
        $bad = Join-Path $TestDrive 'bad.yaml'
        Set-Content $bad "data:`n  augmentation:`n    rotation: 200`n"
        $check = Test-CnnExperiment $bad
        $check.IsValid | Should -BeFalse
        "$(@($check.Diagnostics)[0])" | Should -Match 'bad\.yaml\(3,\d+\).*data\.augmentation\.rotation'
    }
}
