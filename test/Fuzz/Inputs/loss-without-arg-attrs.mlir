// Found by pareprop-opt-fuzzer: rev-build-training-step copied the loss's
// argument attributes with setAllArgAttrs(null) when the loss had none
// (a null ArrayAttr dereferenced; ASan: SEGV in ArrayAttr::getValue).
func.func private @F(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %t = nn.tanh %x : tensor<2x4xf32>
  return %t : tensor<2x4xf32>
}
func.func @blocks(%x: tensor<2x4xf32>) -> tensor<f32> {
  %y1, %y2 = rev.block(%x, %x) f @F() g @F() : tensor<2x4xf32>, tensor<2x4xf32>
  %s = nn.add %y1, %y2 : tensor<2x4xf32>, tensor<2x4xf32>
  %l = nn.sum %s dims [0, 1] : tensor<2x4xf32>
  return %l : tensor<f32>
}
