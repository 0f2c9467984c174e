# New-CnnLayer: one layer spec per call, the defaults each kind takes, and its errors.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
}

Describe 'New-CnnLayer' {
    It 'makes a Conv2D with 32 filters, a 3x3 kernel, stride 1 and relu by default' {
        $layer = New-CnnLayer Conv2D
        $layer | Should -BeOfType MnistCnn.Core.Models.Conv2DSpec
        $layer.Filters | Should -Be 32
        $layer.KernelHeight, $layer.KernelWidth | Should -Be 3, 3
        $layer.StrideHeight, $layer.StrideWidth | Should -Be 1, 1
        "$($layer.Activation)" | Should -Be 'Relu'
    }

    It 'takes a rectangular kernel, a stride, same padding and an activation for Conv2D' {
        $layer = New-CnnLayer Conv2D -Filters 8 -KernelSize 5, 3 -Stride 2 -Padding Same -Activation tanh
        $layer.Filters | Should -Be 8
        $layer.KernelHeight, $layer.KernelWidth | Should -Be 5, 3
        $layer.StrideHeight, $layer.StrideWidth | Should -Be 2, 2
        "$($layer.Padding)" | Should -Be 'Same'
        "$($layer.Activation)" | Should -Be 'Tanh'
        $layer.Describe() | Should -Be 'Conv2D 8 5x3 stride 2x2 same tanh'
    }

    It 'pools over 2x2 by default, striding by the window' {
        $layer = New-CnnLayer MaxPool2D
        $layer | Should -BeOfType MnistCnn.Core.Models.MaxPool2DSpec
        $layer.PoolHeight, $layer.PoolWidth | Should -Be 2, 2
        $layer.StrideHeight | Should -BeNullOrEmpty
        (New-CnnLayer MaxPool2D -PoolSize 3).PoolHeight | Should -Be 3
    }

    It 'makes Dense, Flatten and Dropout layers with their settings' {
        $dense = New-CnnLayer Dense -Units 10 -Activation softmax
        $dense | Should -BeOfType MnistCnn.Core.Models.DenseSpec
        $dense.Units | Should -Be 10
        "$($dense.Activation)" | Should -Be 'Softmax'
        New-CnnLayer Flatten | Should -BeOfType MnistCnn.Core.Models.FlattenSpec
        (New-CnnLayer Dropout -Rate 0.25).Rate | Should -Be 0.25
    }

    It 'builds a model New-CnnModel accepts, with the parameters the layers imply' {
        $model = New-CnnModel -Layers (New-CnnLayer Conv2D -Filters 4), (New-CnnLayer Flatten), (New-CnnLayer Dense -Units 10 -Activation softmax) -Name tiny
        # conv: 4*(3*3*1)+4 = 40; dense: 26*26*4*10+10 = 27050
        $model.Parameters | Should -Be 27090
    }

    It 'refuses an unknown activation with UnknownActivation, naming the known ones' {
        { New-CnnLayer Dense -Activation swishy -ErrorAction Stop } | Should -Throw -ErrorId 'UnknownActivation,MnistCnn.Cmdlets.NewCnnLayerCommand'
        try { New-CnnLayer Dense -Activation swishy -ErrorAction Stop } catch { $err = $_ }
        "$($err.CategoryInfo.Category)" | Should -Be 'InvalidArgument'
        $err.Exception.Message | Should -Match "'swishy' is not an activation. Use one of: .*relu"
        $err.TargetObject | Should -Be 'swishy'
    }

    It 'refuses an unknown kind and out-of-range settings when binding' {
        { New-CnnLayer Conv3D } | Should -Throw -ErrorId 'CannotConvertArgumentNoMessage,MnistCnn.Cmdlets.NewCnnLayerCommand'
        { New-CnnLayer Conv2D -Filters 0 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,MnistCnn.Cmdlets.NewCnnLayerCommand'
        { New-CnnLayer Dropout -Rate 1 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,MnistCnn.Cmdlets.NewCnnLayerCommand'
        { New-CnnLayer Conv2D -KernelSize 3, 3, 3 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,MnistCnn.Cmdlets.NewCnnLayerCommand'
    }
}
