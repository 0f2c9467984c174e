# Save-CnnModel: a trained model (or a run piped from Start-CnnTraining) to a model folder, loaded back the same; it
# does not overwrite without -Force.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $work = Join-Path ([IO.Path]::GetTempPath()) "mnistcnn-save-$PID"
    $null = New-Item -ItemType Directory -Force $work
    $data = New-SyntheticDataset -TrainCount 64 -TestCount 32
    $run = $data | New-CnnModel | Start-CnnTraining -Epochs 1 -Seed 7 -Threads 1 -NoReport -OutputPath (Join-Path $work 'run')
}
AfterAll { Remove-Item -Recurse -Force $work -ErrorAction Ignore }

Describe 'Save-CnnModel' {
    It 'saves the model and loads it back with the same predictions' {
        $folder = Join-Path $work 'saved'
        $run.TrainedModel | Save-CnnModel $folder
        Join-Path $folder 'model.json' | Should -Exist
        $loaded = Import-CnnModel $folder
        $loaded | Should -BeOfType MnistCnn.Core.Models.TrainedModel
        $before = @(Invoke-CnnPredict -Model $run.TrainedModel -Dataset $data).Label
        $after = @(Invoke-CnnPredict -Model $loaded -Dataset $data).Label
        $after | Should -Be $before
    }

    It 'saves a run piped from Start-CnnTraining (its TrainedModel)' {
        $folder = Join-Path $work 'saved-from-run'
        $run | Save-CnnModel $folder
        Join-Path $folder 'model.json' | Should -Exist
    }

    It 'refuses to overwrite a saved model without -Force (ModelFolderExists)' {
        $folder = Join-Path $work 'saved-twice'
        $run.TrainedModel | Save-CnnModel $folder
        { $run.TrainedModel | Save-CnnModel $folder } | Should -Throw -ErrorId 'ModelFolderExists,MnistCnn.Cmdlets.SaveCnnModelCommand'
        { $run.TrainedModel | Save-CnnModel $folder -Force } | Should -Not -Throw
    }

    It 'writes nothing with -WhatIf' {
        $folder = Join-Path $work 'whatif'
        $run.TrainedModel | Save-CnnModel $folder -WhatIf
        $folder | Should -Not -Exist
    }
}
