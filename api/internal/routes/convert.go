package routes

import (
	"github.com/rgrid/rgrid/api/internal/models"
	"github.com/rgrid/rgrid/common"
)

// toAuthValidateResponse converts an account record to its wire form.
func toAuthValidateResponse(a models.Account) common.AuthValidateResponse {
	return common.AuthValidateResponse{
		AccountID:            a.ID,
		Email:                a.Email,
		CreditsBalanceMicros: a.CreditsBalanceMicros,
	}
}
