#include "pareprop/Interfaces/DifferentiableOpInterface.h"

#include "pareprop/Interfaces/DifferentiableOpInterface.cpp.inc"
